export {
  authorize,
  BEARER_CHALLENGE,
  type Access,
  type AccessPolicy,
  type PrincipalLimits,
} from './access.js';
export {
  TokenPolicy,
  parseTokenPolicyConfig,
  type TokenEntry,
  type TokenPolicyConfig,
  type TokenRule,
} from './token-policy.js';
export {
  loadTokenPolicyFile,
  readTokenPolicyFile,
  type TokenPolicyFile,
  type TokenPolicyFileOptions,
} from './token-file.js';
export { WriteRateLimiter, type WriteRate, type WriteRateLimiterOptions } from './write-rate.js';
