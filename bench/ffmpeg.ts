/**
 * The benchmarks' ffmpeg: one runner for the commands they time or make inputs with, and the
 * inputs more than one of them converts (the issue's 60 s mp3 voice note and 30 s 720p mkv).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** Runs ffmpeg quietly (errors only, on our stderr), overwriting its output. */
export function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

/** A 60 s stereo 128 kbit/s mp3: a tone with noise, loudness swelling like speech. */
export function makeSpeechMp3(path: string): Promise<void> {
  return ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=220:sample_rate=44100:duration=60',
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=duration=60:sample_rate=44100:amplitude=0.3',
    '-filter_complex',
    '[0][1]amix=inputs=2,volume=0.5+0.5*sin(2*PI*t/3):eval=frame,pan=stereo|c0=c0|c1=c0',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    path,
  ]);
}

/**
 * 30 s of 1280×720 at 30 fps with Vorbis audio in mkv. `high`: H.264 High, what an mkv usually
 * holds and not what phones are promised, so the pipeline re-encodes it. `baseline`: Constrained
 * Baseline, which the pipeline only remuxes (video copied, audio to AAC).
 */
export function makeClip720p(path: string, profile: 'high' | 'baseline'): Promise<void> {
  const video = profile === 'high' ? ['-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p'] : ['-preset', 'ultrafast'];
  return ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=30:size=1280x720:rate=30',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=30',
    '-c:v',
    'libx264',
    ...video,
    '-b:v',
    '3M',
    '-c:a',
    'libvorbis',
    path,
  ]);
}
