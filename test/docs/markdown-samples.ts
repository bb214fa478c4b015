/**
 * The code blocks of a Markdown document, with what the docs test does with each (see
 * docs/writing-docs.md). A block's kind comes from an HTML comment right before its fence,
 * `<!-- sample: KIND -->` or `<!-- sample: KIND: note -->`; without one, a `ts` or `sh` block
 * is run and any other language (json, text, http, none) is left alone.
 */
/** What the docs test does with a block. */
export type SampleKind =
  /** ts: type-check, then run to completion (exit 0); sh: run to completion (exit 0). */
  | 'run'
  /** Part of a program, not a whole one: neither checked nor run. */
  | 'fragment'
  /** What a command prints: neither checked nor run. */
  | 'output'
  /** A command the test does not run; the note says why (`npm ci`, a PostgreSQL server...). */
  | 'skip'
  /** ts: type-checked, not run; the note says why (it needs a certificate, a database...). */
  | 'typecheck'
  /** Keeps running (a server, `curl -N`): started, stopped at the next heading. */
  | 'server'
  /** Runs until something later in its section ends it: started, must exit 0 by the next heading. */
  | 'background'
  /** A file the samples after it read: written into their directory under the note's name. */
  | 'file';

const KINDS = new Set<string>([
  'run',
  'fragment',
  'output',
  'skip',
  'typecheck',
  'server',
  'background',
  'file',
]);

export interface MarkdownSample {
  /** The document, relative to the repository. */
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** `ts`, `sh`, or the fence's language as written (`json`, `text`, `''`). */
  lang: string;
  kind: SampleKind;
  /**
   * The marker's note: why it is skipped, the file name of a `file` block, or, for a sample
   * that runs, `prints TEXT`: what its output must contain (by its end, or by the next
   * heading for `server` and `background` samples).
   */
  note: string;
  code: string;
}

export type MarkdownItem =
  { type: 'heading'; line: number; text: string } | { type: 'sample'; sample: MarkdownSample };

const LANGS: Record<string, string> = {
  ts: 'ts',
  typescript: 'ts',
  tsx: 'tsx',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  console: 'sh',
};

const MARKER = /^<!--\s*sample:\s*([a-z-]+)\s*(?::\s*)?(.*?)\s*-->\s*$/;

/**
 * The headings and code blocks of the document `doc` (its `text`), in order, and the problems
 * with its markers (an unknown kind, a marker without a block, a `typecheck` on a shell
 * block, a runnable shell block written as a transcript with `$ ` prompts).
 */
export function readMarkdown(
  doc: string,
  text: string,
): { items: MarkdownItem[]; problems: string[] } {
  const lines = text.split('\n');
  const items: MarkdownItem[] = [];
  const problems: string[] = [];
  let marker: { kind: string; note: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(line);
    const m = MARKER.exec(line.trim());
    if (m) {
      if (marker)
        problems.push(`${doc}:${marker.line}: a sample marker with no code block after it`);
      marker = { kind: m[1]!, note: m[2] ?? '', line: i + 1 };
      if (!KINDS.has(m[1]!))
        problems.push(`${doc}:${i + 1}: unknown sample kind "${m[1]}" (${[...KINDS].join(', ')})`);
      continue;
    }
    if (!fence) {
      if (marker && line.trim() !== '') {
        problems.push(`${doc}:${marker.line}: a sample marker must come right before a code block`);
        marker = undefined;
      }
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) items.push({ type: 'heading', line: i + 1, text: heading[2]! });
      continue;
    }
    const [, indent, ticks, info] = fence;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j]!.trim().startsWith(ticks!)) break;
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    }
    const lang = LANGS[info!.toLowerCase()] ?? info!.toLowerCase();
    // A tsx block (a component) cannot run on its own: it is type-checked.
    const kind = (marker?.kind ??
      (lang === 'ts' || lang === 'sh'
        ? 'run'
        : lang === 'tsx'
          ? 'typecheck'
          : 'output')) as SampleKind;
    const sample: MarkdownSample = {
      doc,
      line: i + 1,
      lang,
      kind,
      note: marker?.note ?? '',
      code: body.join('\n') + '\n',
    };
    const where = `${doc}:${i + 1}`;
    if (kind === 'typecheck' && lang !== 'ts' && lang !== 'tsx')
      problems.push(`${where}: "typecheck" is for ts and tsx blocks only`);
    if (kind === 'file' && sample.note === '')
      problems.push(`${where}: a "file" sample names its file: <!-- sample: file: NAME -->`);
    if (lang === 'sh' && runs(kind) && body.some((l) => /^\$ /.test(l)))
      problems.push(
        `${where}: a shell sample that runs has no "$ " prompts; put the output in its own block marked <!-- sample: output -->`,
      );
    if (sample.note.startsWith('prints') && !runs(kind))
      problems.push(`${where}: "prints" is for samples that run`);
    if (runs(kind) && lang !== 'ts' && lang !== 'sh')
      problems.push(`${where}: only ts and sh samples run; mark this ${lang || 'untagged'} block`);
    items.push({ type: 'sample', sample });
    marker = undefined;
    i = j;
  }
  if (marker) problems.push(`${doc}:${marker.line}: a sample marker with no code block after it`);
  return { items, problems };
}

/** What a sample's output must contain (its `prints TEXT` note), if anything. */
export function expectedOutput(sample: MarkdownSample): string | undefined {
  return /^prints\s+(.+)$/.exec(sample.note)?.[1];
}

/** Whether samples of this kind are executed. */
export function runs(kind: SampleKind): boolean {
  return kind === 'run' || kind === 'server' || kind === 'background';
}

/** Whether a sample of this kind, in this language, is type-checked. */
export function typeChecked(sample: MarkdownSample): boolean {
  return (
    (sample.lang === 'ts' && runs(sample.kind)) ||
    ((sample.lang === 'ts' || sample.lang === 'tsx') && sample.kind === 'typecheck')
  );
}
