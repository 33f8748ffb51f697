/**
 * @peculiar/x509 resolves its algorithms through tsyringe, which refuses to
 * load unless `Reflect.getMetadata` exists (the "reflect-metadata" polyfill).
 * It never relies on decorator metadata for the classes it uses, so this
 * minimal, WeakMap-backed stand-in is enough, and spares a second dependency.
 * A real polyfill loaded earlier is left alone.
 */
type MetadataMap = Map<unknown, unknown>;
type Target = object;

interface ReflectMetadata {
  getMetadata?: (key: unknown, target: Target, property?: PropertyKey) => unknown;
}

const reflect = Reflect as unknown as ReflectMetadata & Record<string, unknown>;

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<Target, Map<PropertyKey | undefined, MetadataMap>>();
  const own = (target: Target, property: PropertyKey | undefined, create: boolean): MetadataMap | undefined => {
    let byProperty = store.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let map = byProperty.get(property);
    if (!map && create) {
      map = new Map();
      byProperty.set(property, map);
    }
    return map;
  };
  const getOwnMetadata = (key: unknown, target: Target, property?: PropertyKey): unknown => own(target, property, false)?.get(key);
  const getMetadata = (key: unknown, target: Target, property?: PropertyKey): unknown => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t) as Target | null) {
      const map = own(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  Object.assign(reflect, {
    getOwnMetadata,
    getMetadata,
    hasOwnMetadata: (key: unknown, target: Target, property?: PropertyKey) => own(target, property, false)?.has(key) ?? false,
    hasMetadata: (key: unknown, target: Target, property?: PropertyKey) => getMetadata(key, target, property) !== undefined,
    defineMetadata: (key: unknown, value: unknown, target: Target, property?: PropertyKey) => {
      own(target, property, true)?.set(key, value);
    },
    metadata: (key: unknown, value: unknown) => (target: Target, property?: PropertyKey) => {
      own(target, property, true)?.set(key, value);
    },
  });
}

export {};
