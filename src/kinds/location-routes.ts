/** POST /api/send-location: a pin with coordinates, and optionally the place's name and address. */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { failsWith } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { kindDoc } from './kind-doc.js';
import { kindRoute, recipientFields, type KindRouteDeps } from './kind-route.js';

const MAX_PLACE_TEXT = 1000;

/** A coordinate as a JSON number, or as the text of one (form and multipart fields are text). */
function coordinate(name: 'latitude' | 'longitude', limit: number, example: number) {
  const invalid = failsWith(() => Errors.invalidLocation(`${name} must be a number from -${limit} to ${limit}`));
  return (
    z
      // Members with their own checks stay an anyOf in the document (a bare number|string would not).
      .union(
        [
          z.number().min(-limit, { error: invalid }).max(limit, { error: invalid }),
          z.string().regex(/^\s*[-+]?\d+(\.\d+)?\s*$/, {
            error: failsWith((issue) =>
              String(issue.input).trim() === '' ? Errors.locationRequired() : Errors.invalidLocation(`${name} must be a number from -${limit} to ${limit}`),
            ),
          }),
        ],
        {
          error: failsWith((issue) =>
            issue.input === undefined || issue.input === null || issue.input === ''
              ? Errors.locationRequired()
              : Errors.invalidLocation(`${name} must be a number from -${limit} to ${limit}`),
          ),
        },
      )
      .transform((value, ctx) => {
        if (typeof value === 'string' && value.trim() === '') {
          ctx.issues.push({ code: 'custom', message: failsWith(() => Errors.locationRequired())({}), input: value });
          return z.NEVER;
        }
        const number = typeof value === 'number' ? value : Number(value.trim());
        if (!Number.isFinite(number) || Math.abs(number) > limit) {
          ctx.issues.push({ code: 'custom', message: invalid({}), input: value });
          return z.NEVER;
        }
        return number;
      })
      .meta({ description: `Degrees, -${limit} to ${limit} (a number, or its text in a form)`, examples: [example] })
  );
}

function placeText(name: 'name' | 'address', description: string, example: string) {
  return z
    .string({ error: failsWith(() => Errors.invalidLocation(`${name} must be text`)) })
    .max(MAX_PLACE_TEXT, { error: failsWith(() => Errors.invalidLocation(`${name} too long (maximum ${MAX_PLACE_TEXT} characters)`)) })
    .optional()
    .transform((text) => (text !== undefined && text.trim() !== '' ? text.trim() : undefined))
    .meta({ description, examples: [example] });
}

export function locationFields(defaultCountryCode: string) {
  return z.object({
    ...recipientFields(defaultCountryCode),
    latitude: coordinate('latitude', 90, -6.1754),
    longitude: coordinate('longitude', 180, 106.8272),
    name: placeText('name', "Optional: the place's name, shown above the map", 'Monas'),
    address: placeText('address', "Optional: the place's address, shown under the name", 'Gambir, Jakarta Pusat'),
  });
}

export function locationRoutes(deps: KindRouteDeps): RouteSpec[] {
  const fields = locationFields(deps.defaultCountryCode);
  const example = { phone: '6281234567890', latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta Pusat' };
  const { phone: _phone, ...exampleData } = example;
  return [
    kindRoute(
      {
        path: '/api/send-location',
        description: 'Send location',
        successMessage: 'Location sent successfully',
        type: 'location',
        fields,
        sendOptions: 'accepted',
        fingerprint: (p) => ({ latitude: p.latitude, longitude: p.longitude, name: p.name ?? null, address: p.address ?? null }),
        content: async (p) => ({ kind: 'location', latitude: p.latitude, longitude: p.longitude, name: p.name, address: p.address }),
        data: (p) => ({ latitude: p.latitude, longitude: p.longitude, name: p.name ?? null, address: p.address ?? null }),
        doc: () =>
          kindDoc({
            successMessage: 'Location sent successfully',
            type: 'location',
            fields,
            details: 'A pin on the map. `latitude` and `longitude` are checked against their ranges; `name` and `address` are optional.',
            example,
            data: { latitude: z.number(), longitude: z.number(), name: z.string().nullable(), address: z.string().nullable() },
            exampleData,
            errors: ['LOCATION_REQUIRED', 'INVALID_LOCATION'],
          }),
      },
      deps,
    ),
  ];
}
