// Original file: proto/scadalink/v1/site_link.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CentralMessage as _scadalink_v1_CentralMessage, CentralMessage__Output as _scadalink_v1_CentralMessage__Output } from '../../scadalink/v1/CentralMessage.js';
import type { IngestReply as _scadalink_v1_IngestReply, IngestReply__Output as _scadalink_v1_IngestReply__Output } from '../../scadalink/v1/IngestReply.js';
import type { IngestRequest as _scadalink_v1_IngestRequest, IngestRequest__Output as _scadalink_v1_IngestRequest__Output } from '../../scadalink/v1/IngestRequest.js';
import type { SiteMessage as _scadalink_v1_SiteMessage, SiteMessage__Output as _scadalink_v1_SiteMessage__Output } from '../../scadalink/v1/SiteMessage.js';

export interface SiteLinkClient extends grpc.Client {
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_scadalink_v1_SiteMessage, _scadalink_v1_CentralMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_scadalink_v1_SiteMessage, _scadalink_v1_CentralMessage__Output>;
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_scadalink_v1_SiteMessage, _scadalink_v1_CentralMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_scadalink_v1_SiteMessage, _scadalink_v1_CentralMessage__Output>;
  
  IngestAuditEvents(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  IngestAuditEvents(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  IngestAuditEvents(argument: _scadalink_v1_IngestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  IngestAuditEvents(argument: _scadalink_v1_IngestRequest, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestAuditEvents(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestAuditEvents(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestAuditEvents(argument: _scadalink_v1_IngestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestAuditEvents(argument: _scadalink_v1_IngestRequest, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  
  IngestCachedTelemetry(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  IngestCachedTelemetry(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  IngestCachedTelemetry(argument: _scadalink_v1_IngestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  IngestCachedTelemetry(argument: _scadalink_v1_IngestRequest, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestCachedTelemetry(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestCachedTelemetry(argument: _scadalink_v1_IngestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestCachedTelemetry(argument: _scadalink_v1_IngestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  ingestCachedTelemetry(argument: _scadalink_v1_IngestRequest, callback: grpc.requestCallback<_scadalink_v1_IngestReply__Output>): grpc.ClientUnaryCall;
  
}

export interface SiteLinkHandlers extends grpc.UntypedServiceImplementation {
  Connect: grpc.handleBidiStreamingCall<_scadalink_v1_SiteMessage__Output, _scadalink_v1_CentralMessage>;
  
  IngestAuditEvents: grpc.handleUnaryCall<_scadalink_v1_IngestRequest__Output, _scadalink_v1_IngestReply>;
  
  IngestCachedTelemetry: grpc.handleUnaryCall<_scadalink_v1_IngestRequest__Output, _scadalink_v1_IngestReply>;
  
}

export interface SiteLinkDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_scadalink_v1_SiteMessage, _scadalink_v1_CentralMessage, _scadalink_v1_SiteMessage__Output, _scadalink_v1_CentralMessage__Output>
  IngestAuditEvents: MethodDefinition<_scadalink_v1_IngestRequest, _scadalink_v1_IngestReply, _scadalink_v1_IngestRequest__Output, _scadalink_v1_IngestReply__Output>
  IngestCachedTelemetry: MethodDefinition<_scadalink_v1_IngestRequest, _scadalink_v1_IngestReply, _scadalink_v1_IngestRequest__Output, _scadalink_v1_IngestReply__Output>
}
