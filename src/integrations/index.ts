export {
  HttpGateway,
  type HttpGatewayOptions,
  type HttpCallOptions,
  type HttpCallResult,
  HttpErrorCode,
  classifyHttpStatus,
} from './http/index.js';
