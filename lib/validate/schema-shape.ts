/**
 * The part of a JSON schema that validating given documents can reach (issue 18). A CRD's schema
 * is a whole object tree, spec and status, pod templates included; the objects we validate use a
 * small part of it, and compiling the rest was most of a first `npm run validate`.
 *
 * A subschema under `properties`, `additionalProperties` or `items` is only ever applied to a value
 * at that place; where no document has a value there, it is replaced by `{}` (which it never gets to
 * judge). Everything else is kept as it is: keywords that judge the value itself (`type`,
 * `required`, `enum`, …) and those whose reach this module does not follow (`patternProperties`,
 * tuple `items`, `if`, …). So the result accepts and rejects exactly what the schema does, for
 * these documents; the validator compiled from it must only be used for them.
 *
 * Kubernetes' own definitions refer to each other (`$ref: #/definitions/…`); given them, a reference
 * is replaced by the referenced definition cut to the values at that place, except where it refers
 * to a definition it is already inside (JSONSchemaProps holds itself), which stays a reference.
 */

/** Never applied to a value: accepts anything. */
const UNREACHED = Object.freeze({});

/** The definitions `#/definitions/<name>` references resolve to. */
export interface SchemaDefinitions {
  /** The definition a reference names; undefined for none. */
  definition(name: string): unknown;
  /** What a reference that stays one points to instead, e.g. `v1.36.0#/definitions/` (an id ajv knows). */
  readonly refBase: string;
}

const LOCAL_REF = '#/definitions/';

export function reachableSchema(schema: any, instances: readonly unknown[], definitions?: SchemaDefinitions, inside: readonly string[] = []): any {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  if (instances.length === 0) return UNREACHED;
  const ref = definitions && typeof schema.$ref === 'string' && schema.$ref.startsWith(LOCAL_REF) ? schema.$ref.slice(LOCAL_REF.length) : undefined;
  if (ref !== undefined) {
    // Beside a reference only annotations (description, x-kubernetes-*) occur; anything else keeps it a reference.
    const alone = Object.keys(schema).every((key) => key === '$ref' || key === 'description' || key.startsWith('x-kubernetes-'));
    const definition = alone && !inside.includes(ref) ? definitions!.definition(ref) : undefined;
    if (definition !== undefined) return reachableSchema(definition, instances, definitions, [...inside, ref]);
  }
  const objects = instances.filter(isPlainObject);
  const whole = (value: unknown) => (definitions ? withAbsoluteRefs(value, definitions.refBase) : value);
  const out: any = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'properties': {
        // A declared field no document sets is left out: every field a document sets is still either
        // declared here or judged by additionalProperties, as in the whole schema.
        const properties: Record<string, unknown> = {};
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
          const values = valuesAt(objects, name);
          if (values.length > 0) properties[name] = reachableSchema(sub, values, definitions, inside);
        }
        out.properties = properties;
        break;
      }
      case 'additionalProperties':
        // Only the keys that neither `properties` nor `patternProperties` claim reach it.
        out.additionalProperties =
          schema.patternProperties === undefined ? reachableSchema(value, extraValues(objects, schema.properties ?? {}), definitions, inside) : whole(value);
        break;
      case 'items':
        out.items = Array.isArray(value) ? whole(value) : reachableSchema(value, instances.filter(Array.isArray).flat(), definitions, inside);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[key] = Array.isArray(value) ? value.map((sub) => reachableSchema(sub, instances, definitions, inside)) : whole(value);
        break;
      case 'not':
        out.not = reachableSchema(value, instances, definitions, inside);
        break;
      case '$ref':
        out.$ref = ref === undefined ? value : definitions!.refBase + ref;
        break;
      default:
        out[key] = whole(value);
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valuesAt(objects: readonly Record<string, unknown>[], name: string): unknown[] {
  const values: unknown[] = [];
  for (const object of objects) if (Object.prototype.hasOwnProperty.call(object, name)) values.push(object[name]);
  return values;
}

function extraValues(objects: readonly Record<string, unknown>[], declared: Record<string, unknown>): unknown[] {
  const values: unknown[] = [];
  for (const object of objects) {
    for (const [name, value] of Object.entries(object)) if (!Object.prototype.hasOwnProperty.call(declared, name)) values.push(value);
  }
  return values;
}

/** A copy of a schema part kept whole, its local references pointing to `refBase`. */
function withAbsoluteRefs(value: unknown, refBase: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withAbsoluteRefs(item, refBase));
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, sub]) => [
      key,
      key === '$ref' && typeof sub === 'string' && sub.startsWith(LOCAL_REF) ? refBase + sub.slice(LOCAL_REF.length) : withAbsoluteRefs(sub, refBase),
    ]),
  );
}
