export {
  HttpGateway,
  type HttpCaller,
  type HttpGatewayOptions,
  type HttpCallOptions,
  type HttpCallResult,
} from './gateway.js';
export { HttpErrorCode, classifyHttpStatus } from './classify.js';
export { ThreadedHttpGateway } from './threaded.js';
