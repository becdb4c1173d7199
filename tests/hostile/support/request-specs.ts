/**
 * fast-check generators of hostile requests to the send endpoints. A generated value is a small
 * description (sizes, not bytes), so a failing case prints readably and shrinks; `encode` turns
 * it into the exact bytes sent over the socket.
 */
import { MEDIA_KINDS, type MediaKind } from '../../../src/domain/vocabulary.js';
import fc from 'fast-check';
import { DEFAULT_UPLOAD_POLICIES } from '../../../src/messaging/upload-policy.js';
import { hostileKindJson, hostileKindValue, isKindEndpoint, KIND_FIELD_NAMES, kindFieldText, wellFormedKindValue } from './kind-specs.js';
import type { BodySpec, Content, Endpoint, PartSpec, RequestSpec } from './request-types.js';
import { GOOD_PHONE, phoneValue, WEIRD_TEXT } from './values.js';

export { SEND_ENDPOINTS, type BodySpec, type Content, type Delivery, type Endpoint, type PartSpec, type RequestSpec } from './request-types.js';

export const API_KEY = 'hostile-suite-key-0123456789abcdef';

/** Extensions support/real-media.ts makes a really decodable file for. */
export const REAL_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'wav', 'mp4'];

const ALL_EXTENSIONS = [...new Set(MEDIA_KINDS.flatMap((kind) => DEFAULT_UPLOAD_POLICIES[kind].extensions))];

function contentFor(kind: MediaKind | null): fc.Arbitrary<Content> {
  const own = kind ? DEFAULT_UPLOAD_POLICIES[kind].extensions : ALL_EXTENSIONS;
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('real' as const), ext: fc.constantFrom(...own) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sample' as const), ext: fc.constantFrom(...own), extra: fc.nat(2048) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('sample' as const), ext: fc.constantFrom(...ALL_EXTENSIONS, 'exe', 'elf'), extra: fc.nat(64) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('random' as const), length: fc.nat(4096), seed: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: WEIRD_TEXT }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'hugeCanvasGif' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('oversize' as const), ext: fc.constantFrom(...own) }) },
  );
}

function filePart(kind: MediaKind | null): fc.Arbitrary<PartSpec> {
  const own = kind ? DEFAULT_UPLOAD_POLICIES[kind].extensions : ALL_EXTENSIONS;
  return fc.record(
    {
      name: fc.oneof(
        { weight: 10, arbitrary: fc.constant('file') },
        { weight: 1, arbitrary: fc.constantFrom('caption', 'image', 'FILE', 'file[]', 'phone', '') },
      ),
      filename: fc.oneof(
        {
          weight: 10,
          arbitrary: fc
            .tuple(fc.constantFrom('photo', 'a', 'x'.repeat(300), '../up', 'Grüße 日本', 'a"b'), fc.constantFrom(...own))
            .map(([b, e]) => `${b}.${e}`),
        },
        { weight: 1, arbitrary: fc.constantFrom('noextension', '.png', 'a.PNG', 'a.exe', 'a.png.exe', '', 'a.', 'a.tar.gz') },
        { weight: 1, arbitrary: WEIRD_TEXT },
      ),
      filenameStar: fc.boolean(),
      contentType: fc.constantFrom('application/octet-stream', 'image/png', 'text/plain; charset=utf-16', 'multipart/mixed', 'application/x-msdownload'),
      content: contentFor(kind),
    },
    { requiredKeys: ['name', 'filename', 'content'] },
  );
}

const fieldPart = (names: string[], values: fc.Arbitrary<string> = phoneValue): fc.Arbitrary<PartSpec> =>
  fc.record({
    name: fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })),
    content: fc.oneof(
      { weight: 5, arbitrary: values.map((text): Content => ({ kind: 'text', text })) },
      { weight: 2, arbitrary: WEIRD_TEXT.map((text): Content => ({ kind: 'text', text })) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('repeat' as const),
          char: fc.constantFrom('c', 'é', '\u0000'),
          length: fc.constantFrom(65_536, 65_537, 70_000, 1_048_577),
        }),
      },
    ),
  });

function multipartBody(endpoint: Endpoint): fc.Arbitrary<BodySpec> {
  const kind = MEDIA_KINDS.find((k) => DEFAULT_UPLOAD_POLICIES[k].endpoint === endpoint) ?? null;
  const phone: fc.Arbitrary<PartSpec> = phoneValue.map((text) => ({ name: 'phone', content: { kind: 'text', text } }));
  const sometimesMissing = { nil: undefined, freq: 12 } as const;
  // A kind's fields instead of a file and caption; a file part there is one of the extras.
  const own = isKindEndpoint(endpoint)
    ? fc.array(fieldPart(KIND_FIELD_NAMES[endpoint], kindFieldText), { maxLength: 6 })
    : fc.tuple(fc.option(filePart(kind), sometimesMissing), fc.option(fieldPart(['caption']), { nil: undefined })).map((parts) => [...parts]);
  const usual = fc.tuple(fc.option(phone, sometimesMissing), own).map(([p, rest]) => [p, ...rest].filter((part): part is PartSpec => part !== undefined));
  const extraNames = ['phone', 'caption', 'message', 'file', ...(isKindEndpoint(endpoint) ? KIND_FIELD_NAMES[endpoint] : [])];
  const extras = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.oneof(filePart(kind), fieldPart(extraNames)), { maxLength: 2 }) },
    { weight: 1, arbitrary: fc.array(fc.oneof(filePart(kind), fieldPart(extraNames)), { maxLength: 24 }) },
  );
  return fc.record({
    type: fc.constant('multipart' as const),
    parts: fc
      .tuple(usual, extras, fc.nat({ max: 8 }))
      // Extra parts and duplicates of the usual ones, all in any order.
      .chain(([base, extra, dupes]) => {
        const all = [...base, ...extra, ...base.slice(0, dupes < 6 ? 0 : dupes - 5)];
        return fc.shuffledSubarray(all, { minLength: all.length });
      }),
    boundary: fc.oneof(
      fc.constantFrom('XyZ', 'WebKitFormBoundary7MA4YWxkTrZu0gW', '----', 'a'.repeat(70)),
      fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/),
    ),
    header: fc.constantFrom('same', 'same', 'same', 'same', 'same', 'same', 'other', 'missing', 'quoted'),
    preamble: fc.boolean(),
    closing: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
    lf: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true)),
  });
}

const jsonValue = fc.oneof(
  fc.record(
    {
      phone: fc.oneof(phoneValue, fc.integer(), fc.constant(null), fc.array(phoneValue, { maxLength: 2 }), fc.object({ maxDepth: 1 })),
      message: fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant('m'.repeat(65_537)),
        fc.array(fc.string(), { maxLength: 2 }),
      ),
      caption: fc.string({ maxLength: 20 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

function textBody(endpoint: Endpoint): fc.Arbitrary<BodySpec> {
  const kindFields = isKindEndpoint(endpoint) ? KIND_FIELD_NAMES[endpoint] : [];
  return fc.oneof(
    fc.record({
      type: fc.constant('json' as const),
      value: isKindEndpoint(endpoint) ? fc.oneof({ weight: 3, arbitrary: hostileKindValue(endpoint) }, jsonValue) : jsonValue,
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/vnd.api+json',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/x-www-form-urlencoded',
        'text/plain',
      ),
      bom: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('form' as const),
      fields: fc.array(
        fc.tuple(
          fc.constantFrom('phone', 'message', 'caption', 'phone[]', 'message[a]', '__proto__', ...kindFields),
          fc.oneof(phoneValue, WEIRD_TEXT, ...(kindFields.length ? [kindFieldText] : [])),
        ),
        { maxLength: 30 },
      ),
      contentType: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=iso-8859-1',
        'application/x-www-form-urlencoded; charset=koi8-r',
      ),
    }),
    fc.record({
      type: fc.constant('raw' as const),
      content: contentFor(null),
      contentType: fc.constantFrom(
        null,
        'application/octet-stream',
        'application/json',
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'text/html',
        'application/x-www-form-urlencoded',
      ),
    }),
    fc.constant({ type: 'none' as const }),
  );
}

/** A request that should succeed, in an order a real client might use: the baseline the rest departs from. */
function wellFormedBody(endpoint: Endpoint): fc.Arbitrary<BodySpec> {
  const kind = MEDIA_KINDS.find((k) => DEFAULT_UPLOAD_POLICIES[k].endpoint === endpoint);
  const phone = GOOD_PHONE;
  if (isKindEndpoint(endpoint)) {
    return fc.record({
      type: fc.constant('json' as const),
      value: fc.tuple(phone, wellFormedKindValue(endpoint)).map(([p, fields]) => ({ phone: p, ...fields })),
      contentType: fc.constant('application/json'),
      bom: fc.constant(false),
    });
  }
  if (!kind) {
    return fc.oneof(
      fc.record({
        type: fc.constant('json' as const),
        value: fc.record({ phone, message: fc.string({ minLength: 1, maxLength: 60 }) }),
        contentType: fc.constant('application/json'),
        bom: fc.constant(false),
      }),
      fc.record({
        type: fc.constant('form' as const),
        fields: fc.tuple(phone, fc.string({ minLength: 1, maxLength: 60 })).map(([p, m]): Array<[string, string]> => [
          ['phone', p],
          ['message', m],
        ]),
        contentType: fc.constant('application/x-www-form-urlencoded'),
      }),
    );
  }
  // Documents are sent as they are, so their magic-number samples do; other kinds need real files.
  const extensions = DEFAULT_UPLOAD_POLICIES[kind].extensions.filter((ext) => kind === 'document' || REAL_EXTENSIONS.includes(ext));
  const parts = fc.tuple(
    phone.map((text): PartSpec => ({ name: 'phone', content: { kind: 'text', text } })),
    fc
      .tuple(fc.constantFrom(...extensions), fc.constantFrom('photo', 'Grüße 日本', 'x'.repeat(200)))
      .map(([ext, base]): PartSpec => ({ name: 'file', filename: `${base}.${ext}`, contentType: 'application/octet-stream', content: { kind: 'real', ext } })),
    fc.option(
      fc.string({ maxLength: 40 }).map((text): PartSpec => ({ name: 'caption', content: { kind: 'text', text } })),
      { nil: undefined },
    ),
  );
  return fc.record({
    type: fc.constant('multipart' as const),
    parts: parts.chain((all) =>
      fc.shuffledSubarray(
        all.filter((p): p is PartSpec => p !== undefined),
        { minLength: all.filter(Boolean).length },
      ),
    ),
    boundary: fc.constant('----WebKitFormBoundary7MA4YWxkTrZu0gW'),
    header: fc.constant('same' as const),
    preamble: fc.constant(false),
    closing: fc.constant(true),
    lf: fc.constant(false),
  });
}

export function requestSpec(endpoint: Endpoint): fc.Arbitrary<RequestSpec> {
  const fileless = endpoint === '/api/send-message' || isKindEndpoint(endpoint);
  return fc.record({
    endpoint: fc.constant(endpoint),
    body: fc.oneof(
      { weight: 2, arbitrary: wellFormedBody(endpoint) },
      { weight: fileless ? 1 : 4, arbitrary: multipartBody(endpoint) },
      { weight: fileless ? 3 : 1, arbitrary: textBody(endpoint) },
      ...(isKindEndpoint(endpoint) ? [{ weight: 4, arbitrary: hostileKindJson(endpoint) }] : []),
    ),
    framing: fc.constantFrom('length', 'length', 'length', 'length', 'chunked', 'chunked', 'shortLength'),
    delivery: fc.oneof(
      { weight: 12, arbitrary: fc.constant({ kind: 'whole' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    ),
    auth: fc.oneof({ weight: 12, arbitrary: fc.constant('ok' as const) }, fc.constant('wrong' as const), fc.constant('none' as const)),
    expectContinue: fc.boolean(),
    // 'fresh' becomes a new key per request; the fixed ones are reused across requests (409s).
    idempotencyKey: fc.option(fc.constantFrom('fresh', 'fresh', 'fresh', 'k1', 'x'.repeat(300), 'ünï'), { nil: null }),
  });
}
