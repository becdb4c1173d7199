/**
 * Multipart uploads for one media kind, read from the upload table: files stream to disk under
 * random names (never the client's name), with the kind's size limit and extension list enforced
 * while streaming. A wrong extension is refused before a byte is written.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { Errors } from '../errors/app-error.js';
import { extensionOf, formatSize, type UploadPolicy } from '../messaging/upload-policy.js';

const MULTIPART = 'multipart/form-data';

/** Human label used in the 413 message: "Maximum size for images is 16MB". */
const KIND_LABEL: Record<string, string> = {
  images: 'images',
  documents: 'documents',
  audio: 'audio',
  video: 'video',
  stickers: 'stickers',
};

export function uploadSingleFile(policy: UploadPolicy, uploadDir: string): RequestHandler {
  const upload = multer({
    // curl, browsers and most HTTP libraries send file names as raw UTF-8, not latin1.
    ...({ defParamCharset: 'utf8' } as object),
    storage: multer.diskStorage({
      destination: uploadDir,
      filename: (_req, file, done) => done(null, `${randomBytes(16).toString('hex')}.${extensionOf(file.originalname) || 'bin'}`),
    }),
    limits: { fileSize: policy.maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25 },
    fileFilter: (_req, file, done) => {
      if (file.fieldname !== 'file') return done(Errors.unexpectedFileField(file.fieldname));
      if (!policy.extensions.includes(extensionOf(file.originalname))) return done(Errors.invalidFileType(policy.extensions));
      done(null, true);
    },
  }).single('file');

  return (req: Request, res: Response, next: NextFunction) => {
    // A JSON or form body has no file in it: the contract's answer to that is "File required".
    if (!req.is(MULTIPART)) return next(Errors.fileRequired());
    upload(req, res, (error?: unknown) => {
      if (!error) return next();
      // Multer removes what it finished writing; this also covers a file cut short by the error.
      const file = req.file;
      const cleanup = file ? rm(file.path, { force: true }) : Promise.resolve();
      void cleanup.finally(() => {
        if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') {
          next(Errors.fileTooLarge(KIND_LABEL[policy.formatsKey] ?? policy.kind, formatSize(policy.maxBytes)));
        } else next(error);
      });
    });
  };
}
