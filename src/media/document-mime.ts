/**
 * Mimetypes for documents. The recipient's phone picks the app that opens a document from its
 * mimetype (iOS especially), so every extension of the upload table needs the registered type.
 */
export const DOCUMENT_MIME_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  csv: 'text/csv',
  rtf: 'application/rtf',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip',
  // IANA registered application/vnd.rar in 2016; Android and iOS both map it to .rar.
  rar: 'application/vnd.rar',
  '7z': 'application/x-7z-compressed',
  json: 'application/json',
  xml: 'application/xml',
  epub: 'application/epub+zip',
};

/** Extensions an operator adds to the document list without a known type still go out, as bytes. */
export function documentMimeType(extension: string): string {
  return DOCUMENT_MIME_TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}
