export {
  HttpGateway,
  type HttpGatewayOptions,
  type HttpCallOptions,
  type HttpCallResult,
} from './gateway.js';
export { HttpErrorCode, classifyHttpStatus } from './classify.js';
