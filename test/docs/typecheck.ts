/**
 * Type-checks code samples as modules of a user's project (see sample-dir.ts), in one
 * program, with the repository's compiler options (strict, NodeNext). Only the samples'
 * own errors are reported, each at its place in the document or source file.
 *
 * JSDoc examples are often fragments of a program; before checking, each gets the imports of
 * the package's public names it uses without importing them, and a declaration of the
 * conventional variables below that it uses without defining them. Markdown samples get
 * nothing: they are whole programs a reader can paste.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { exportedSymbols } from './exports.js';

export interface CheckedSample {
  /** Where errors are reported: `README.md:120`, `src/client/live.ts:181 (@example of live)`. */
  origin: string;
  /** 1-based line of the code's first line in its document. */
  line: number;
  code: string;
  /** For JSDoc examples: the entry point of the documented symbol, whose names come first. */
  entry?: string;
  /** JSX inside (a React component): checked as a .tsx file. */
  jsx?: boolean;
}

/**
 * Variables a JSDoc example may use without defining them, with the type they stand for.
 * A reader knows what `store` or `res` is in a short example; nothing else is assumed.
 * `BY_ENTRY` gives a name another meaning in one entry point's examples.
 */
export const CONVENTIONAL_NAMES: Record<string, string> = {
  store: "import('prep-live/store').Store",
  req: "import('node:http').IncomingMessage",
  res: "import('node:http').ServerResponse",
  prep: "import('prep-live/server').Prep",
  url: 'string',
  headers: 'Headers',
  boundary: 'string',
  signal: 'AbortSignal',
};

const BY_ENTRY: Record<string, Record<string, string>> = {
  '@prep-live/react': { store: "import('@prep-live/react').ResourceStore" },
};

interface PublicName {
  module: string;
  typeOnly: boolean;
}

/** Every exported name of the entry points: the module that exports it, value or type. */
export function publicNames(
  program: ts.Program,
  entries: Map<string, string>,
): Map<string, PublicName[]> {
  const names = new Map<string, PublicName[]>();
  for (const { entry, name, symbol } of exportedSymbols(program, entries)) {
    const typeOnly = (symbol.flags & ts.SymbolFlags.Value) === 0;
    names.set(name, [...(names.get(name) ?? []), { module: entry, typeOnly }]);
  }
  return names;
}

/** The names `code` uses and the names it declares at any level (imports, variables, ...). */
function namesIn(code: string): { used: Set<string>; declared: Set<string> } {
  const file = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true);
  const used = new Set<string>();
  const declared = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const named = (parent as { name?: ts.Node }).name === node;
      if (
        named &&
        (ts.isVariableDeclaration(parent) ||
          ts.isFunctionDeclaration(parent) ||
          ts.isClassDeclaration(parent) ||
          ts.isInterfaceDeclaration(parent) ||
          ts.isTypeAliasDeclaration(parent) ||
          ts.isEnumDeclaration(parent) ||
          ts.isParameter(parent) ||
          ts.isBindingElement(parent) ||
          ts.isImportSpecifier(parent) ||
          ts.isImportClause(parent) ||
          ts.isNamespaceImport(parent) ||
          ts.isImportEqualsDeclaration(parent))
      )
        declared.add(node.text);
      else if (
        !(ts.isPropertyAccessExpression(parent) && parent.name === node) &&
        !(ts.isQualifiedName(parent) && parent.right === node) &&
        !(named && !ts.isShorthandPropertyAssignment(parent))
      )
        used.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { used, declared };
}

/** The lines put before a JSDoc example: imports of public names, conventional variables. */
export function preludeOf(
  sample: CheckedSample,
  names: Map<string, PublicName[]>,
  modules: readonly string[],
): string {
  const { used, declared } = namesIn(sample.code);
  const imports = new Map<string, string[]>();
  const lines: string[] = [];
  for (const name of used) {
    if (declared.has(name)) continue;
    const candidates = names.get(name);
    if (candidates) {
      const order = (m: string) => (m === sample.entry ? -1 : modules.indexOf(m));
      const best = [...candidates].sort((a, b) => order(a.module) - order(b.module))[0]!;
      const list = imports.get(best.module) ?? [];
      list.push(best.typeOnly ? `type ${name}` : name);
      imports.set(best.module, list);
    } else {
      const type = BY_ENTRY[sample.entry ?? '']?.[name] ?? CONVENTIONAL_NAMES[name];
      if (type !== undefined) lines.push(`declare const ${name}: ${type};`);
    }
  }
  for (const [module, list] of imports)
    lines.unshift(`import { ${list.join(', ')} } from '${module}';`);
  return lines.join(' ');
}

/**
 * Writes each sample into `dir` as a module (with `prelude(sample)` on its first line, so line
 * numbers stay), checks them in one program, and returns one line per error:
 * `README.md:125: error TS2304: Cannot find name 'todos'.`
 */
export function typecheckSamples(
  dir: { path: string; tsconfig: string },
  samples: readonly CheckedSample[],
  prelude: (sample: CheckedSample) => string = () => '',
  oldProgram?: ts.Program,
): string[] {
  const files = samples.map((sample, i) => {
    const file = join(dir.path, `check-${i}.${sample.jsx === true ? 'tsx' : 'ts'}`);
    const head = prelude(sample);
    // The prelude shares the first line with the code: no shift of line numbers.
    writeFileSync(file, `${head}${head ? ' ' : ''}${sample.code}\nexport {};\n`);
    return file;
  });
  const config = ts.getParsedCommandLineOfConfigFile(
    dir.tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error(`cannot read ${dir.tsconfig}`);
  const program = ts.createProgram({
    rootNames: files,
    options: config.options,
    ...(oldProgram ? { oldProgram } : {}),
  });
  const problems: string[] = [];
  files.forEach((file, i) => {
    const source = program.getSourceFile(file);
    if (source === undefined) throw new Error(`${file} is not in the program`);
    const sample = samples[i]!;
    for (const d of [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ]) {
      const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0);
      const where = sample.origin.replace(/:\d+/, `:${sample.line + line}`);
      problems.push(
        `${where}: error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    }
  });
  return problems;
}
