/**
 * The `@example` blocks in the JSDoc of every exported symbol of the package's entry points
 * (`src/*\/index.ts` as `exports` names them), and of the members of exported classes and
 * interfaces. A block preceded by `<!-- sample: fragment -->` in the comment is left out.
 */
import { dirname, relative } from 'node:path';
import ts from 'typescript';
import { exportedSymbols } from './exports.js';
import { root } from './package-names.js';

export interface JsdocExample {
  /** `src/client/live.ts:181 (@example of live)`. */
  origin: string;
  /** The source file, for examples that import from `./x.js`. */
  sourceFile: string;
  /** 1-based line of the example's first code line in the source file. */
  line: number;
  /** The import name of the entry point that exports the symbol (`@prep-live/client`). */
  entry: string;
  code: string;
}

const FRAGMENT = /<!--\s*sample:\s*(fragment|output)\b[^>]*-->/;

/**
 * The `@example` sections of a JSDoc comment (its raw text, `/** ... *\/`), each as its ts
 * code blocks with the 0-based line of their first code line. Read from the raw text: the
 * compiler's tag parser would cut an example at an `@` inside its code (`@@ -1 +1 @@`).
 */
export function examplesOfComment(raw: string): Array<{ line: number; code: string }> {
  const lines = raw.split('\n').map((l) => l.replace(/^\s*\/\*\*\s?|^\s*\*\/\s*$|^\s*\* ?/, ''));
  const found: Array<{ line: number; code: string }> = [];
  let inExample = false;
  let fence: { start: number; code: string[]; skip: boolean } | undefined;
  let previous = '';
  for (const [i, line] of lines.entries()) {
    if (fence) {
      if (/^\s*```/.test(line)) {
        if (!fence.skip) found.push({ line: fence.start, code: fence.code.join('\n') + '\n' });
        fence = undefined;
      } else fence.code.push(line);
      continue;
    }
    if (/^\s*@\w+/.test(line)) inExample = /^\s*@example\b/.test(line);
    const open = /^\s*```\s*(\w*)/.exec(line);
    if (open)
      fence = {
        start: i + 1,
        code: [],
        // Only ts blocks of @example sections; a fragment marker before the fence skips it.
        skip: !inExample || !/^(ts|typescript|)$/.test(open[1]!) || FRAGMENT.test(previous),
      };
    if (line.trim() !== '') previous = line;
  }
  return found;
}

/** The examples, in a program over the entry points (returned for reuse by the checker). */
export function collectJsdocExamples(entries: Map<string, string>): {
  examples: JsdocExample[];
  program: ts.Program;
} {
  const program = ts.createProgram([...entries.values()], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
  });
  const seen = new Set<ts.Node>();
  const examples: JsdocExample[] = [];

  const collect = (node: ts.Node, name: string, entry: string): void => {
    const source = node.getSourceFile();
    for (const doc of ts.getJSDocCommentsAndTags(node)) {
      if (!ts.isJSDoc(doc) || seen.has(doc)) continue;
      seen.add(doc);
      const first = source.getLineAndCharacterOfPosition(doc.getStart()).line;
      for (const { line, code } of examplesOfComment(doc.getText())) {
        examples.push({
          origin: `${relative(root, source.fileName)}:${first + line + 1} (@example of ${name})`,
          sourceFile: source.fileName,
          line: first + line + 1,
          entry,
          code,
        });
      }
    }
  };

  for (const { entry, name, symbol } of exportedSymbols(program, entries)) {
    for (const declaration of symbol.declarations ?? []) {
      collect(declaration, name, entry);
      if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration))
        for (const member of declaration.members)
          collect(member, `${name}.${member.name?.getText() ?? '(signature)'}`, entry);
    }
  }
  return { examples, program };
}

/** The example's code with `./x.js` imports pointing at the files beside its source. */
export function withAbsoluteImports(example: JsdocExample): string {
  return example.code.replace(
    /(from\s+|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g,
    (_, head: string, quote: string, path: string) =>
      `${head}${quote}${dirname(example.sourceFile)}/${path}${quote}`,
  );
}
