/**
 * Container image references: by tag, by digest, or both (the digest wins; the tag is then
 * documentation). `latest` and untagged images are refused: a rollout must be reproducible.
 */
import { ConfigError, type JsonSchema, type Schema, define, expectMap, joinPath, quoteValue, string, unknownKey } from '../../common/index.js';
import type { ImageRef } from './types.js';

const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

const repositorySchema = string({ pattern: REPOSITORY, maxLength: 255, allowed: 'an image repository such as "ghcr.io/acme/hello" (lowercase)' });
const tagSchema = string({ pattern: TAG, allowed: 'an image tag ([A-Za-z0-9_.-], at most 128)' });
const digestSchema = string({ pattern: DIGEST, allowed: 'a digest "sha256:" + 64 lowercase hex digits' });
const IMAGE_KEYS = ['repository', 'tag', 'digest'];

/** Splits `repo:tag@sha256:...` into its parts (each may be absent). */
function splitImage(text: string): { repository: string; tag?: string; digest?: string } {
  const at = text.indexOf('@');
  const rest = at >= 0 ? text.slice(0, at) : text;
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  const colon = rest.lastIndexOf(':');
  const withDigest = digest === undefined ? {} : { digest };
  return colon > rest.lastIndexOf('/') ? { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), ...withDigest } : { repository: rest, ...withDigest };
}

function parseImageValue(raw: unknown, field: string): ImageRef {
  let parts: Record<string, unknown>;
  if (typeof raw === 'string') {
    parts = splitImage(raw);
  } else {
    parts = expectMap(raw, field);
    for (const key of Object.keys(parts)) if (!IMAGE_KEYS.includes(key)) throw unknownKey(field, key, IMAGE_KEYS);
  }
  const repository = repositorySchema.parse(parts.repository, joinPath(field, 'repository'));
  const tag = parts.tag === undefined || parts.tag === '' ? undefined : tagSchema.parse(parts.tag, joinPath(field, 'tag'));
  const digest = parts.digest === undefined || parts.digest === '' ? undefined : digestSchema.parse(parts.digest, joinPath(field, 'digest'));
  if (digest === undefined && (tag === undefined || tag === 'latest')) {
    throw new ConfigError(joinPath(field, 'tag'), `${quoteValue(tag ?? '')} is not allowed; pin the image with a tag other than "latest" or a digest`);
  }
  return { repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

const IMAGE_ALLOWED = 'an image "repo:tag", "repo@sha256:..." or "repo:tag@sha256:...", or {repository, tag, digest}; pinned (not "latest")';

/** An image, as a string or a mapping; returned as an {@link ImageRef}. */
export const imageSchema: Schema<ImageRef> = define({
  allowed: IMAGE_ALLOWED,
  parse: parseImageValue,
  jsonSchema: (): JsonSchema => ({
    description: `use ${IMAGE_ALLOWED}`,
    anyOf: [
      { type: 'string', pattern: `^${REPOSITORY.source.slice(1, -1)}(:${TAG.source.slice(1, -1)})?(@${DIGEST.source.slice(1, -1)})?$` },
      {
        type: 'object',
        additionalProperties: false,
        required: ['repository'],
        properties: { repository: repositorySchema.jsonSchema(), tag: tagSchema.jsonSchema(), digest: digestSchema.jsonSchema() },
      },
    ],
  }),
});

/** Parses an image given as a string (`repo:tag`, `repo@sha256:...`, `repo:tag@sha256:...`) or a mapping. */
export function parseImage(raw: unknown, field: string): ImageRef {
  return imageSchema.parse(raw, field);
}

/** The image string a container uses: the digest wins over the tag. */
export function imageString(image: ImageRef): string {
  return image.digest !== undefined ? `${image.repository}@${image.digest}` : `${image.repository}:${image.tag ?? ''}`;
}
