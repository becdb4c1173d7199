/**
 * The 64-bar waveform WhatsApp draws in a voice-note bubble: the mean absolute amplitude of 64
 * equal slices of the audio, scaled so the loudest slice is 100 (the algorithm Baileys borrowed
 * from wa-js, which mirrors WhatsApp Web). Computed while ffmpeg streams 16-bit PCM, keeping
 * only one running sum per 10 ms, so memory stays small whatever the length.
 */
export const WAVEFORM_BARS = 64;
/** PCM rate requested from ffmpeg for the waveform; the envelope needs no more. */
export const WAVEFORM_SAMPLE_RATE = 8000;
const BIN_SAMPLES = WAVEFORM_SAMPLE_RATE / 100;

export class WaveformBuilder {
  private readonly bins: number[] = [];
  private binSum = 0;
  private binCount = 0;
  private carry: Buffer | null = null;
  private totalSamples = 0;

  /** Feeds raw signed 16-bit little-endian mono PCM, in chunks of any size. */
  push(chunk: Buffer): void {
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const usable = data.length - (data.length % 2);
    for (let offset = 0; offset < usable; offset += 2) {
      this.binSum += Math.abs(data.readInt16LE(offset)) / 32768;
      if (++this.binCount === BIN_SAMPLES) this.closeBin();
    }
    this.totalSamples += usable / 2;
    if (usable < data.length) this.carry = data.subarray(usable);
  }

  get samples(): number {
    return this.totalSamples;
  }

  finish(): Uint8Array {
    if (this.binCount > 0) this.closeBin();
    const bins = this.bins;
    const bars = new Array<number>(WAVEFORM_BARS).fill(0);
    if (bins.length === 0) return new Uint8Array(WAVEFORM_BARS);
    for (let bar = 0; bar < WAVEFORM_BARS; bar++) {
      // Short clips have fewer bins than bars: each bar then reads the bin it falls in.
      const start = Math.floor((bar * bins.length) / WAVEFORM_BARS);
      const end = Math.max(start + 1, Math.floor(((bar + 1) * bins.length) / WAVEFORM_BARS));
      let sum = 0;
      for (let i = start; i < end; i++) sum += bins[i] ?? 0;
      bars[bar] = sum / (end - start);
    }
    const peak = Math.max(...bars);
    // The epsilon keeps the loudest bar at 100 despite floating-point division.
    return new Uint8Array(bars.map((value) => (peak > 0 ? Math.floor((100 * value) / peak + 1e-9) : 0)));
  }

  private closeBin(): void {
    this.bins.push(this.binSum / this.binCount);
    this.binSum = 0;
    this.binCount = 0;
  }
}
