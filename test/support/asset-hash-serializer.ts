/**
 * Jest snapshot serializer: replaces asset hashes (64 hex characters, as in image tags, S3 keys
 * and asset parameters) with a fixed marker, so a change in `app/` or in the handler code a CDK
 * upgrade ships does not churn every snapshot. What the hash is attached to still shows.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
const HAS_ASSET_HASH = /[0-9a-f]{64}/;

module.exports = {
  test: (value: unknown) => typeof value === 'string' && HAS_ASSET_HASH.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(ASSET_HASH, '[ASSET_HASH]')),
};
