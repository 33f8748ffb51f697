import { z } from 'zod';
import { ARN_ACCOUNT, ARN_PARTITION, ARN_REGION } from '../core/index.js';

/**
 * Thing types, as AWS IoT's: a name, a description and up to three
 * searchable attribute names that every thing of the type shares. A type
 * can be deprecated (no new thing may take it; things that have it keep it)
 * and deprecation undone; only a deprecated type that no thing uses can be
 * deleted. This module holds the shapes and the rules; the registry stores
 * them and applies the rules inside its serialized writes.
 */

export const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** AWS: at most three searchable attributes per thing type. */
export const MAX_SEARCHABLE_ATTRIBUTES = 3;
/** AWS: a thing type description is at most 2028 characters. */
export const MAX_THING_TYPE_DESCRIPTION = 2028;

const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#=[\]-]{1,128}$/;

export interface ThingTypeProperties {
  thingTypeDescription?: string;
  searchableAttributes?: string[];
}

export interface ThingTypeMetadata {
  deprecated: boolean;
  /** When it was last deprecated; absent while never deprecated or after the deprecation was undone. */
  deprecationDate?: string;
  creationDate: string;
}

/** DescribeThingType's shape. */
export interface ThingType {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  thingTypeProperties: ThingTypeProperties;
  thingTypeMetadata: ThingTypeMetadata;
}

export interface StoredThingType {
  thingTypeName: string;
  thingTypeId: string;
  properties: ThingTypeProperties;
  deprecated: boolean;
  deprecationDate?: string;
  creationDate: string;
}

export const thingTypePropertiesSchema = z
  .object({
    thingTypeDescription: z.string().max(MAX_THING_TYPE_DESCRIPTION, `at most ${MAX_THING_TYPE_DESCRIPTION} characters`).optional(),
    searchableAttributes: z
      .array(z.string().regex(ATTRIBUTE_NAME, 'attribute names are 1-128 characters of A-Z, a-z, 0-9 and _.,@/:#=[]-'))
      .max(MAX_SEARCHABLE_ATTRIBUTES, `at most ${MAX_SEARCHABLE_ATTRIBUTES} searchable attributes (as AWS IoT)`)
      .refine((names) => new Set(names).size === names.length, 'searchable attributes must not repeat')
      .optional(),
  })
  .strict();

export function thingTypeArn(thingTypeName: string): string {
  return `arn:${ARN_PARTITION}:iot:${ARN_REGION}:${ARN_ACCOUNT}:thingtype/${thingTypeName}`;
}

export function presentThingType(stored: StoredThingType): ThingType {
  return {
    thingTypeName: stored.thingTypeName,
    thingTypeId: stored.thingTypeId,
    thingTypeArn: thingTypeArn(stored.thingTypeName),
    thingTypeProperties: {
      ...(stored.properties.thingTypeDescription !== undefined ? { thingTypeDescription: stored.properties.thingTypeDescription } : {}),
      searchableAttributes: [...(stored.properties.searchableAttributes ?? [])],
    },
    thingTypeMetadata: {
      deprecated: stored.deprecated,
      ...(stored.deprecationDate !== undefined ? { deprecationDate: stored.deprecationDate } : {}),
      creationDate: stored.creationDate,
    },
  };
}

/** Properties compared as a stack deploy sees them: absent and empty searchable attributes are the same. */
export function samePropertiesAs(a: ThingTypeProperties, b: ThingTypeProperties): boolean {
  return a.thingTypeDescription === b.thingTypeDescription && JSON.stringify(a.searchableAttributes ?? []) === JSON.stringify(b.searchableAttributes ?? []);
}
