/**
 * Voice notes (PTT). Whatever audio arrives goes out the way WhatsApp's own recorders write it:
 * Ogg Opus, mono, 16 kHz SILK wideband, 20 ms frames packed three to a packet, vendor
 * "WhatsApp", mimetype `audio/ogg; codecs=opus`, with `seconds` and a 64-bar waveform. iOS
 * WhatsApp rejects PTT audio at 48 kHz or with one frame per packet (what ffmpeg writes), which is
 * why the Ogg layer is rewritten after encoding (see ogg-opus.ts).
 */
import { stat } from 'node:fs/promises';
import type { OutgoingMedia } from '../whatsapp/transport.js';
import type { ConversionContext, ConversionInput } from './context.js';
import { renamedTo } from './context.js';
import { mediaErrors } from './errors.js';
import { FFMPEG_BASE_ARGS, runTool, type MediaTools } from './ffmpeg.js';
import { ffmpegFailure } from './ffmpeg-errors.js';
import { readOggOpusInfo, type OggOpusInfo } from './ogg-opus.js';
import { repacketizeOggOpus } from './opus-repacketize.js';
import { audioStream, probeMedia } from './probe.js';
import { WAVEFORM_SAMPLE_RATE, WaveformBuilder } from './waveform.js';

export const VOICE_NOTE_MIMETYPE = 'audio/ogg; codecs=opus';
export const VOICE_NOTE_SAMPLE_RATE = 16_000;
/**
 * WhatsApp records speech at about 16 kbit/s; at 16 kHz and this rate libopus stays in SILK
 * wideband (TOC config 9), the mode native voice notes use.
 */
export const VOICE_NOTE_BITRATE = '16k';
/**
 * libopus effort (0-10, ffmpeg's default 10). At 16 kbit/s SILK, 5 halves the encode time (about
 * 1.4 s instead of 2.4 s per minute of noisy audio on one core) for a file within 5% of the size.
 */
const VOICE_NOTE_COMPRESSION_LEVEL = '5';
/** WhatsApp's limit for audio messages. */
export const VOICE_NOTE_MAX_BYTES = 16 * 1024 * 1024;

/** True for a file that already is what WhatsApp's recorders produce; it is sent untouched. */
export function isWhatsAppVoiceNote(info: OggOpusInfo): boolean {
  return (
    info.head.channels === 1 &&
    info.head.mappingFamily === 0 &&
    info.head.inputSampleRate === VOICE_NOTE_SAMPLE_RATE &&
    info.packetCount > 0 &&
    info.tocCodes.size === 1 &&
    info.tocCodes.has(3)
  );
}

export async function prepareVoiceNote(ctx: ConversionContext, input: ConversionInput): Promise<OutgoingMedia> {
  const tools = requireTools(ctx);
  const { signal } = ctx.job;
  const probe = await probeMedia(tools, input.path, signal);
  const stream = probe && audioStream(probe);
  if (!probe || !stream) throw mediaErrors.undecodable('audio', input.extension);

  if (probe.format.format_name === 'ogg' && stream.codec_name === 'opus' && stream.channels === 1) {
    const info = await readOggOpusInfo(input.path);
    if (info && isWhatsAppVoiceNote(info)) {
      ctx.logger.debug({ file: input.originalName }, 'voice note already in WhatsApp format: passing through');
      const waveform = await decodeWaveform(tools, input, signal);
      return voiceNote(input.path, input.originalName, info.durationSeconds, waveform);
    }
  }

  const encoded = ctx.temp.allocate('ogg');
  const output = ctx.temp.allocate('ogg');
  const waveform = new WaveformBuilder();
  // One decode feeds both outputs: the Opus encode and the PCM the waveform is computed from.
  const result = await runTool(
    tools.ffmpeg,
    [
      ...FFMPEG_BASE_ARGS,
      '-i',
      input.path,
      '-map',
      '0:a:0',
      '-map_metadata',
      '-1',
      '-ac',
      '1',
      '-ar',
      String(VOICE_NOTE_SAMPLE_RATE),
      '-c:a',
      'libopus',
      '-b:a',
      VOICE_NOTE_BITRATE,
      '-vbr',
      'on',
      '-compression_level',
      VOICE_NOTE_COMPRESSION_LEVEL,
      '-application',
      'voip',
      '-frame_duration',
      '20',
      '-f',
      'ogg',
      encoded,
      '-map',
      '0:a:0',
      '-ac',
      '1',
      '-ar',
      String(WAVEFORM_SAMPLE_RATE),
      '-f',
      's16le',
      'pipe:1',
    ],
    { signal, onStdout: (chunk) => waveform.push(chunk) },
  );
  if (result.exitCode !== 0) throw ffmpegFailure('audio', input.extension, result);
  if (waveform.samples === 0) throw mediaErrors.undecodable('audio', input.extension);

  const info = await repacketizeOggOpus(encoded, output);
  await ctx.temp.remove(encoded);
  if (info.packetCount === 0) throw mediaErrors.undecodable('audio', input.extension);
  const { size } = await stat(output);
  if (size > VOICE_NOTE_MAX_BYTES) throw mediaErrors.tooLarge('Voice note', VOICE_NOTE_MAX_BYTES, size);
  return voiceNote(output, input.originalName, info.durationSeconds, waveform.finish());
}

function voiceNote(path: string, originalName: string, durationSeconds: number, waveform: Uint8Array): OutgoingMedia {
  return {
    kind: 'audio',
    path,
    mimetype: VOICE_NOTE_MIMETYPE,
    fileName: renamedTo(originalName, 'ogg'),
    ptt: true,
    // WhatsApp's field is whole seconds; a 0 would show as 0:00 for a short clip.
    seconds: Math.max(1, Math.round(durationSeconds)),
    waveform,
  };
}

async function decodeWaveform(tools: MediaTools, input: ConversionInput, signal: AbortSignal): Promise<Uint8Array> {
  const waveform = new WaveformBuilder();
  const result = await runTool(
    tools.ffmpeg,
    [...FFMPEG_BASE_ARGS, '-i', input.path, '-map', '0:a:0', '-ac', '1', '-ar', String(WAVEFORM_SAMPLE_RATE), '-f', 's16le', 'pipe:1'],
    { signal, onStdout: (chunk) => waveform.push(chunk) },
  );
  if (result.exitCode !== 0 || waveform.samples === 0) throw ffmpegFailure('audio', input.extension, result);
  return waveform.finish();
}

export function requireTools(ctx: ConversionContext): MediaTools {
  if (!ctx.tools) throw mediaErrors.unavailable('ffmpeg');
  return ctx.tools;
}
