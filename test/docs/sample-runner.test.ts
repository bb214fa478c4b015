/**
 * The docs test catches the kinds of broken sample the README once had: a route that uses
 * names nobody defined (type error, then a 500), a request sent before the resource exists
 * (404), a program that never ends or never prints what it should, a server that cannot
 * listen, and markers or transcripts it cannot run. Each small document here is broken one
 * way, and the runner or the checker must say so, naming the line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readMarkdown } from './markdown-samples.js';
import { createSampleDir } from './sample-dir.js';
import { runDocumentSamples } from './sample-runner.js';
import { typecheckSamples } from './typecheck.js';

const items = (text: string) => readMarkdown('broken.md', text).items;

/** Asserts that running `text` fails with a message matching each of `patterns`. */
async function fails(
  t: Parameters<typeof runDocumentSamples>[0],
  text: string,
  patterns: RegExp[],
  sampleMs?: number,
): Promise<void> {
  await assert.rejects(
    runDocumentSamples(t, items(text), sampleMs === undefined ? {} : { sampleMs }),
    (e: Error) => {
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
  );
}

const SERVER = (body: string) => `<!-- sample: server -->
\`\`\`ts
import http from 'node:http';
${body}
\`\`\`
`;

test('a curl line that gets a 404 fails the document, naming the line and the answer', async (t) => {
  await fails(
    t,
    '# Try it\n\n```sh\ncurl -X PUT -d x http://127.0.0.1:8080/notes/a\ncurl http://127.0.0.1:8080/nothing/here\n```\n',
    [/broken\.md:3 \(sh run\)/, /404/],
  );
});

test('a server whose route throws (names it never defined) fails the curl line that calls it', async (t) => {
  const text = `# App\n\n${SERVER(
    "const todos = undefined as unknown as Map<string, string>;\nhttp.createServer((req, res) => res.end(todos.get('1'))).listen(3000, '127.0.0.1', () => console.log('up'));",
  )}\n\`\`\`sh\ncurl http://127.0.0.1:3000/todos/1\n\`\`\`\n`;
  await fails(t, text, [/broken\.md:\d+ \(sh run\)/, /curl: \(52\)|Empty reply/]);
});

test('a sample that uses undefined names does not type-check', (t) => {
  const dir = createSampleDir('broken-check');
  t.after(() => dir.remove());
  const problems = typecheckSamples(dir, [
    {
      origin: 'broken.md:10',
      line: 10,
      code: "import { createPrep } from 'prep-live/server';\nconst prep = createPrep();\nprep.notify({ method: 'PUT', path: '/x', etag: etagOf(todos.get('1')) });\n",
    },
  ]);
  assert.deepEqual(problems, [
    "broken.md:12: error TS2304: Cannot find name 'etagOf'.",
    "broken.md:12: error TS2304: Cannot find name 'todos'.",
  ]);
});

test('a server that cannot listen (the port is taken) fails before the next sample runs', async (t) => {
  const listen =
    "http.createServer((req, res) => res.end('x')).listen(3000, '127.0.0.1', () => console.log('up'));";
  await fails(t, `# Two servers, one port\n\n${SERVER(listen)}\n${SERVER(listen)}\n# Next\n`, [
    /it ended before its first output/,
    /EADDRINUSE/,
  ]);
});

test('a background sample that never ends, or never prints what it should, fails', async (t) => {
  const forever =
    "<!-- sample: background -->\n```ts\nconsole.log('waiting');\nawait new Promise(() => setInterval(() => {}, 1000));\n```\n\n# Next\n";
  await fails(t, `# Loop\n\n${forever}`, [/to end by itself/], 5_000);
  const quiet = '<!-- sample: run: prints PATCH -->\n```sh\necho PUT\n```\n';
  await fails(t, `# Quiet\n\n${quiet}`, [/ended before printing "PATCH"/]);
});

test('unknown markers, markers without a block and transcripts with prompts are reported', () => {
  const { problems } = readMarkdown(
    'broken.md',
    [
      '<!-- sample: fragmnet -->',
      '```ts',
      'x;',
      '```',
      '```sh',
      '$ curl http://127.0.0.1:8080/',
      '```',
      '<!-- sample: output -->',
      'text',
      '<!-- sample: typecheck -->',
      '```sh',
      'ls',
      '```',
    ].join('\n'),
  );
  assert.deepEqual(problems, [
    'broken.md:1: unknown sample kind "fragmnet" (run, fragment, output, skip, typecheck, server, background, file)',
    'broken.md:5: a shell sample that runs has no "$ " prompts; put the output in its own block marked <!-- sample: output -->',
    'broken.md:8: a sample marker must come right before a code block',
    'broken.md:11: "typecheck" is for ts and tsx blocks only',
  ]);
});
