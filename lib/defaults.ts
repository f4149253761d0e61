/**
 * Props over defaults, where a prop given as `undefined` keeps its default (a plain spread would
 * replace the default with `undefined`, as happens when a caller passes an optional value along).
 */
export function withDefaults<D extends object, P extends object>(defaults: D, props: P): D & P {
  const given = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as D & P;
}
