/**
 * Reads a Dockerfile into stages of instructions, and a .dockerignore into a matcher: just the
 * subset of the syntax our Dockerfile uses. Anything else is refused by name, so a Dockerfile that
 * outgrows what docker-recipe-check can perform fails the check instead of being half-checked.
 */
export type Instruction =
  | { kind: 'WORKDIR'; path: string }
  | { kind: 'COPY'; from?: string; chown?: string; sources: string[]; dest: string }
  | { kind: 'RUN'; command: string }
  | { kind: 'ENV'; vars: [string, string][] }
  | { kind: 'USER'; user: string }
  | { kind: 'VOLUME'; paths: string[] }
  | { kind: 'EXPOSE'; ports: string[] }
  | { kind: 'HEALTHCHECK'; options: Record<string, string>; command: string[] }
  | { kind: 'CMD'; command: string[] };

export interface Stage {
  base: string;
  name: string;
  instructions: Instruction[];
}

/** Splits `a b "c d"` into words, honouring double quotes. */
function words(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? '')));
}

function execForm(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`${what} must be in exec form: ["program", "arg", …]`);
  return parsed as string[];
}

/** `--from=build --chown=a:b rest` → options and the rest. */
function options(text: string): { options: Record<string, string>; rest: string } {
  const found: Record<string, string> = {};
  let rest = text.trim();
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    found[m[1] ?? ''] = m[2] ?? '';
    rest = rest.slice(m[0].length);
  }
  return { options: found, rest };
}

export function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const kind = keyword.toUpperCase();
    if (kind === 'FROM') {
      const [base = '', as, name] = words(args);
      stages.push({ base, name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${kind} before the first FROM`);
    const add = (instruction: Instruction) => stage.instructions.push(instruction);
    switch (kind) {
      case 'WORKDIR':
        add({ kind, path: args });
        break;
      case 'COPY': {
        const { options: o, rest } = options(args);
        const unknown = Object.keys(o).filter((k) => k !== 'from' && k !== 'chown');
        if (unknown.length > 0) throw new Error(`COPY --${unknown.join(', --')} is not supported by the recipe check`);
        const parts = rest.startsWith('[') ? execForm(rest, 'COPY') : words(rest);
        const dest = parts.pop();
        if (!dest || parts.length === 0) throw new Error(`COPY needs a source and a destination: ${line}`);
        add({ kind, from: o.from, chown: o.chown, sources: parts, dest });
        break;
      }
      case 'RUN':
        if (args.startsWith('[')) throw new Error('RUN in exec form is not supported by the recipe check; use the shell form');
        add({ kind, command: args });
        break;
      case 'ENV': {
        const vars = args.includes('=')
          ? words(args).map((w): [string, string] => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])
          : [[args.split(/\s+/)[0] ?? '', args.replace(/^\S+\s+/, '')] as [string, string]];
        if (vars.some(([, v]) => v.includes('$'))) throw new Error('ENV with $-substitution is not supported by the recipe check');
        add({ kind, vars });
        break;
      }
      case 'USER':
        add({ kind, user: args });
        break;
      case 'VOLUME':
        add({ kind, paths: args.startsWith('[') ? execForm(args, 'VOLUME') : words(args) });
        break;
      case 'EXPOSE':
        add({ kind, ports: words(args) });
        break;
      case 'HEALTHCHECK': {
        const { options: o, rest } = options(args);
        if (!rest.startsWith('CMD ')) throw new Error('HEALTHCHECK must be HEALTHCHECK [options] CMD [...]');
        add({ kind, options: o, command: execForm(rest.slice(4).trim(), 'HEALTHCHECK CMD') });
        break;
      }
      case 'CMD':
        add({ kind, command: execForm(args, 'CMD') });
        break;
      default:
        throw new Error(`the recipe check does not perform ${kind}: teach scripts/docker-recipe-check.ts, or do without it`);
    }
  }
  return stages;
}

/** What `docker run` sees of the final stage. */
export function imageOf(stages: Stage[]) {
  const final = stages.at(-1);
  if (!final) throw new Error('no stage');
  const all = final.instructions;
  const env = all.flatMap((i) => (i.kind === 'ENV' ? i.vars : []));
  const last = <K extends Instruction['kind']>(kind: K) => all.filter((i): i is Extract<Instruction, { kind: K }> => i.kind === kind).at(-1);
  return {
    stage: final,
    env: Object.fromEntries(env) as Record<string, string>,
    user: last('USER')?.user ?? 'root',
    workdir: last('WORKDIR')?.path ?? '/',
    volumes: all.flatMap((i) => (i.kind === 'VOLUME' ? i.paths : [])),
    healthcheck: last('HEALTHCHECK'),
    cmd: last('CMD')?.command,
  };
}

/** .dockerignore: one pattern a line (`*` within a segment, `**` across), `!` re-includes. */
export function dockerignore(text: string): (relativePath: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const body = pattern
        .split('**')
        .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
        .join('.*');
      // A pattern that names a folder excludes everything in it.
      return { negate, regex: new RegExp(`^${body}(/.*)?$`) };
    });
  return (relativePath) => rules.reduce((ignored, rule) => (rule.regex.test(relativePath) ? !rule.negate : ignored), false);
}
