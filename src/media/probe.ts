/** What ffprobe says about a file: the subset of its JSON the conversions decide on. */
import { runTool, type MediaTools } from './ffmpeg.js';

export interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  sample_rate?: string;
  channels?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
  disposition?: { attached_pic?: number };
}

export interface ProbeResult {
  format: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
  streams: ProbeStream[];
}

const PROBE_ARGS = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];

/** Returns null when ffprobe cannot read the file at all (not media, or corrupt beyond parsing). */
export async function probeMedia(tools: MediaTools, path: string, signal?: AbortSignal): Promise<ProbeResult | null> {
  const result = await runTool(tools.ffprobe, [...PROBE_ARGS, path], { signal, maxStdoutBytes: 1024 * 1024 });
  if (result.exitCode !== 0) return null;
  try {
    const parsed = JSON.parse(result.stdout.toString('utf8')) as Partial<ProbeResult>;
    if (!parsed.format || !Array.isArray(parsed.streams)) return null;
    return { format: parsed.format, streams: parsed.streams };
  } catch {
    return null;
  }
}

/** The first real audio stream. */
export function audioStream(probe: ProbeResult): ProbeStream | undefined {
  return probe.streams.find((s) => s.codec_type === 'audio');
}

/** The first real video stream; cover art in an mp3 or m4a is not video. */
export function videoStream(probe: ProbeResult): ProbeStream | undefined {
  return probe.streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
}

/** Container duration in seconds, falling back to the stream's, or undefined when unknown. */
export function durationSeconds(probe: ProbeResult, stream?: ProbeStream): number | undefined {
  for (const raw of [probe.format.duration, stream?.duration]) {
    const value = raw === undefined ? NaN : Number(raw);
    if (Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/**
 * The higher of the average and the "real base" frame rate ("30000/1001" → 29.97), undefined
 * when ffprobe knows neither. Variable-rate sources (GIFs, phone clips) have a low average but
 * frames as close together as the base rate says, and that is what decoders must keep up with.
 */
export function frameRate(stream: ProbeStream): number | undefined {
  const rates = [stream.avg_frame_rate, stream.r_frame_rate].map((raw) => {
    const [num, den] = (raw ?? '').split('/').map(Number);
    return num !== undefined && den !== undefined && num > 0 && den > 0 ? num / den : 0;
  });
  const highest = Math.max(...rates);
  return highest > 0 ? highest : undefined;
}

/** Clockwise display rotation in degrees (0, 90, 180, 270) from side data or the old `rotate` tag. */
export function rotationDegrees(stream: ProbeStream): number {
  const side = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const raw = side !== undefined ? -side : Number(stream.tags?.rotate ?? 0);
  return (((Math.round(raw / 90) * 90) % 360) + 360) % 360;
}

/** Width and height as a viewer sees them, after rotation. */
export function displaySize(stream: ProbeStream): { width: number; height: number } | undefined {
  if (!stream.width || !stream.height) return undefined;
  // Anamorphic video (DV, some mkv) stores narrow pixels; what a viewer sees is width × SAR.
  const [sarNum, sarDen] = (stream.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = sarNum && sarDen ? sarNum / sarDen : 1;
  const width = Math.round(stream.width * sar);
  const quarterTurn = rotationDegrees(stream) % 180 === 90;
  return quarterTurn ? { width: stream.height, height: width } : { width, height: stream.height };
}
