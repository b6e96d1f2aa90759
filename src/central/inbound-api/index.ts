// The Inbound API (issue 11): external systems call `POST /api/{method}` with
// an API key. This part (points 3 and 9): type checking of parameters and
// return values against the method definitions, the error table, and the
// OpenAPI 3.1 document generated from the definitions.
export { MAX_KEY_SHOWN, MAX_PROBLEMS, type TypeProblem, checkParameters, checkReturn, describeReturnMismatch, describeValue } from './check.js';
export { INBOUND_ERRORS, type InboundErrorBody, type InboundErrorCode, type InboundErrorInfo, inboundErrorStatus, invalidParameters } from './errors.js';
export { API_KEY_SCHEME, type OpenApiInfo, openApiDocument, typeSchema } from './openapi.js';
