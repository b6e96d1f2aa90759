export {
  HttpGateway,
  ThreadedHttpGateway,
  type HttpCaller,
  type HttpGatewayOptions,
  type HttpCallOptions,
  type HttpCallResult,
  HttpErrorCode,
  classifyHttpStatus,
} from './http/index.js';
export {
  SqlConnections,
  type SqlConnection,
  type SqlTransaction,
  type SqlQueryable,
  type SqlParams,
  type QueryResult,
  type ExecResult,
  SqlErrorCode,
  classifySqlError,
  executeCachedWrite,
  TRACKED_OPERATION_ID_PARAM,
} from './sql/index.js';
export {
  SmtpNotifier,
  type SmtpMessage,
  type SmtpSendResult,
  type SmtpNotifierOptions,
  type AccessTokenSource,
  OAuth2TokenProvider,
  SmtpErrorCode,
  classifySmtpError,
  classifySmtpReplyCode,
} from './smtp/index.js';
