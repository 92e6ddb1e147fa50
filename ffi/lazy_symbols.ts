/**
 * FFI symbols bound on first use. `Deno.dlopen` compiles a call trampoline for every symbol it is
 * given (about 0.12 ms each on the project's VM), so binding all of libbpf and libc up front cost
 * about 3 ms of every start-up for functions most runs never call. Here each symbol gets its own
 * `dlopen` on first access (the library is mapped once; the dynamic loader reference-counts it),
 * and the bound function then replaces the accessor, so later calls cost nothing extra.
 */

/** Symbols of `library` with the shape `Deno.dlopen(library, definitions).symbols` has. */
export function lazySymbols<const S extends Deno.ForeignLibraryInterface>(
  library: string,
  definitions: S,
  /** Turns a failed bind (missing library or symbol) into the caller's error. */
  bindError: (err: unknown) => Error,
): Deno.DynamicLibrary<S>["symbols"] {
  const symbols = {} as Deno.DynamicLibrary<S>["symbols"];
  for (const name of Object.keys(definitions) as Array<keyof S & string>) {
    Object.defineProperty(symbols, name, {
      configurable: true,
      enumerable: true,
      get() {
        let bound;
        try {
          // Never closed: the bound function lives as long as the process, like the library.
          bound = Deno.dlopen(library, { [name]: definitions[name] } as Pick<S, typeof name>)
            .symbols[name];
        } catch (err) {
          throw bindError(err);
        }
        Object.defineProperty(symbols, name, { value: bound, enumerable: true });
        return bound;
      },
    });
  }
  return symbols;
}
