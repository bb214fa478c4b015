/** The multipart codec: a streaming encoder with PREP framing, and a streaming decoder. */
export {
  assertValidBoundary,
  BOUNDARY_LENGTH,
  createBoundary,
  isValidBoundary,
} from './boundary.js';
export {
  DEFAULT_MAX_HEADER_BYTES,
  defaultPartContentType,
  parseMultipart,
  type MultipartPart,
  type MultipartPartIterator,
  type ParseMultipartOptions,
} from './decoder.js';
export {
  containsDelimiter,
  createMultipartEncoder,
  createPrepBoundaries,
  encodeDigestPart,
  encodeKeepAlive,
  encodeMultipartDocument,
  encodePrepClose,
  encodePrepHead,
  type MultipartBody,
  type MultipartEncoder,
  type MultipartEncoderOptions,
  type MultipartHeaders,
  type MultipartPartInit,
  type PrepBoundaries,
} from './encoder.js';
export { MultipartError, type MultipartErrorCode } from './errors.js';
