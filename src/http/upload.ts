/**
 * Multipart uploads for one media kind, read from the upload table: files stream to disk under
 * random names (never the client's name), with the kind's size limit and extension list enforced
 * while streaming. A wrong extension is refused before a byte is written. A JSON body with `url`
 * or `base64` instead is stored by the media source under the same rules and handed on as the
 * same `req.file`, so the send route treats both alike.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Errors } from '../errors/app-error.js';
import { hasMediaSource, jsonBodyLimitFor, type MediaSource, type SourcedMedia } from '../media-source/media-source.js';
import { extensionOf, formatSize, type UploadPolicy } from '../messaging/upload-policy.js';
import { isMulterError, multer as loadMulter } from './multipart.js';

const MULTIPART = 'multipart/form-data';

/** Human label used in the 413 message: "Maximum size for images is 16MB". */
const KIND_LABEL: Record<string, string> = {
  images: 'images',
  documents: 'documents',
  audio: 'audio',
  video: 'video',
  stickers: 'stickers',
};

const JSON_TYPES = ['application/json', 'application/*+json'];

function multipartUpload(policy: UploadPolicy, uploadDir: string): RequestHandler {
  const multer = loadMulter();
  return multer({
    // curl, browsers and most HTTP libraries send file names as raw UTF-8, not latin1.
    ...({ defParamCharset: 'utf8' } as object),
    storage: multer.diskStorage({
      destination: uploadDir,
      filename: (_req, file, done) => done(null, `${randomBytes(16).toString('hex')}.${extensionOf(file.originalname) || 'bin'}`),
    }),
    // files: 3, not 1: busboy's own count names no field, so a second file part is left to the
    // field check below, which can say whether it was a second `file` or a file in `caption`.
    limits: { fileSize: policy.maxBytes, files: 3, fields: 20, fieldSize: 64 * 1024, parts: 25 },
    fileFilter: (_req, file, done) => {
      if (file.fieldname !== 'file') return done(Errors.unexpectedFileField(file.fieldname));
      if (!policy.extensions.includes(extensionOf(file.originalname))) return done(Errors.invalidFileType(policy.extensions));
      done(null, true);
    },
  }).single('file');
}

export function uploadSingleFile(policy: UploadPolicy, uploadDir: string, mediaSource: MediaSource): RequestHandler {
  let upload: RequestHandler | undefined;
  const json = express.json({ limit: jsonBodyLimitFor(policy), type: JSON_TYPES });
  const sourced = (req: Request, next: NextFunction) => (error?: unknown) => {
    if (error) return next(error);
    // A JSON body without url or base64 has no file in it, as v2.0.0 answered: "File required".
    if (!hasMediaSource(req.body)) return next(Errors.fileRequired());
    mediaSource.obtain(req.body as Record<string, unknown>, policy).then((media) => {
      req.file = asUploadedFile(media);
      next();
    }, next);
  };

  return (req: Request, res: Response, next: NextFunction) => {
    if (req.is(JSON_TYPES)) return json(req, res, sourced(req, next));
    // A form body has no file in it: the contract's answer to that is "File required".
    if (!req.is(MULTIPART)) return next(Errors.fileRequired());
    upload ??= multipartUpload(policy, uploadDir);
    upload(req, res, (error?: unknown) => {
      if (!error) return next();
      // Multer has already removed every file it stored (and cleared `path` on them); a file it
      // was still writing when the error came is removed here. Never rejects: the error the
      // client gets is the one multer raised, and next() runs exactly once.
      void removeLeftover(req.file, req).then(() => next(asUploadError(error, req, policy)));
    });
  };
}

/** Sourced media in the shape multer gives an upload (the send route reads path, name and size). */
function asUploadedFile(media: SourcedMedia): Express.Multer.File {
  return {
    fieldname: 'file',
    originalname: media.originalName,
    encoding: '7bit',
    mimetype: media.declaredType ?? 'application/octet-stream',
    size: media.size,
    destination: path.dirname(media.path),
    filename: path.basename(media.path),
    path: media.path,
  } as Express.Multer.File;
}

async function removeLeftover(file: Express.Multer.File | undefined, req: Request): Promise<void> {
  if (typeof file?.path !== 'string') return;
  await rm(file.path, { force: true }).catch((cleanupError: unknown) => req.log?.warn({ err: cleanupError }, 'could not remove an upload'));
}

function asUploadError(error: unknown, req: Request, policy: UploadPolicy): unknown {
  // A client that goes away mid-upload is ordinary (a dropped mobile link, a cancelled curl).
  if (!req.complete && req.destroyed) {
    req.log?.info({ path: req.path }, 'client aborted the upload');
    return Errors.clientAborted();
  }
  if (isMulterError(error) && (error.code === 'LIMIT_FILE_COUNT' || (error.code === 'LIMIT_UNEXPECTED_FILE' && error.field === 'file'))) {
    return Errors.tooManyFiles();
  }
  if (isMulterError(error) && error.code === 'LIMIT_FILE_SIZE') {
    return Errors.fileTooLarge(KIND_LABEL[policy.formatsKey] ?? policy.kind, formatSize(policy.maxBytes));
  }
  return error;
}
