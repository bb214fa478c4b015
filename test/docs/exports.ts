/** The exported symbols of the package's entry points, as the compiler resolves them. */
import ts from 'typescript';

export interface ExportedSymbol {
  /** The import name of the entry point (`@prep-live/client`). */
  entry: string;
  /** The name it is exported as. */
  name: string;
  /** What the name stands for, re-exports followed. */
  symbol: ts.Symbol;
}

/** Every export of every entry point (`entries`: import name -> source file in `program`). */
export function* exportedSymbols(
  program: ts.Program,
  entries: Map<string, string>,
): Generator<ExportedSymbol> {
  const checker = program.getTypeChecker();
  for (const [entry, file] of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
    if (module === undefined) continue;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      yield { entry, name: exported.name, symbol };
    }
  }
}
