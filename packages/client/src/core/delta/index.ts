export {
  DELTA_TYPES,
  applyDelta,
  createDelta,
  deltaTypesFor,
  isDeltaType,
  type ApplyDeltaLimits,
  type DeltaLimits,
  type Representation,
} from './delta.js';
export {
  applyJsonPatch,
  createJsonPatch,
  type ApplyJsonPatchOptions,
  type CreateJsonPatchLimits,
  type JsonPatchOperation,
} from './json-patch.js';
export { applyMergePatch, createMergePatch } from './merge-patch.js';
export { applyTextDiff, createTextDiff, type TextDiffOptions } from './text-diff.js';
