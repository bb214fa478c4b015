/**
 * The `@example` blocks in the JSDoc of every exported symbol of the package's entry points
 * (`src/*\/index.ts` as `exports` names them), and of the members of exported classes and
 * interfaces. A block preceded by `<!-- sample: fragment -->` in the comment is left out.
 */
import { dirname, relative } from 'node:path';
import ts from 'typescript';
import { root } from './package-names.js';

export interface JsdocExample {
  /** `src/client/live.ts:181 (@example of live)`. */
  origin: string;
  /** The source file, for examples that import from `./x.js`. */
  sourceFile: string;
  /** 1-based line of the example's first code line in the source file. */
  line: number;
  /** The import name of the entry point that exports the symbol (`prep-live/client`). */
  entry: string;
  code: string;
}

const FENCE = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```/gm;
const FRAGMENT = /<!--\s*sample:\s*(fragment|output)\b[^>]*-->\s*$/;

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
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Node>();
  const examples: JsdocExample[] = [];

  const collect = (node: ts.Node, name: string, entry: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    const source = node.getSourceFile();
    for (const tag of ts.getJSDocTags(node)) {
      if (tag.tagName.text !== 'example') continue;
      const text = ts.getTextOfJSDocComment(tag.comment) ?? '';
      // Fenced ts blocks; an example without fences is code as a whole.
      const fenced = [...text.matchAll(FENCE)]
        .filter((m) => /^(ts|typescript|)$/.test(m[1]!))
        .map((m) => ({ at: m.index, code: m[2]! }));
      for (const { at: start, code } of fenced.length > 0 ? fenced : [{ at: 0, code: text }]) {
        if (FRAGMENT.test(text.slice(0, start).trimEnd())) continue;
        const first = code.split('\n').find((l) => l.trim() !== '') ?? '';
        const at = source.text.indexOf(first.trim(), tag.getStart());
        const line = source.getLineAndCharacterOfPosition(at < 0 ? tag.getStart() : at).line + 1;
        examples.push({
          origin: `${relative(root, source.fileName)}:${line} (@example of ${name})`,
          sourceFile: source.fileName,
          line,
          entry,
          code,
        });
      }
    }
  };

  for (const [entry, file] of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
    if (module === undefined) continue;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        collect(declaration, exported.name, entry);
        if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration))
          for (const member of declaration.members)
            collect(member, `${exported.name}.${member.name?.getText() ?? '(signature)'}`, entry);
      }
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
