import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Actor as _scadalink_v1_Actor, Actor__Output as _scadalink_v1_Actor__Output } from './scadalink/v1/Actor.js';
import type { Attributes as _scadalink_v1_Attributes, Attributes__Output as _scadalink_v1_Attributes__Output } from './scadalink/v1/Attributes.js';
import type { AuditEvent as _scadalink_v1_AuditEvent, AuditEvent__Output as _scadalink_v1_AuditEvent__Output } from './scadalink/v1/AuditEvent.js';
import type { CentralMessage as _scadalink_v1_CentralMessage, CentralMessage__Output as _scadalink_v1_CentralMessage__Output } from './scadalink/v1/CentralMessage.js';
import type { Command as _scadalink_v1_Command, Command__Output as _scadalink_v1_Command__Output } from './scadalink/v1/Command.js';
import type { CommandReply as _scadalink_v1_CommandReply, CommandReply__Output as _scadalink_v1_CommandReply__Output } from './scadalink/v1/CommandReply.js';
import type { DeployConfiguration as _scadalink_v1_DeployConfiguration, DeployConfiguration__Output as _scadalink_v1_DeployConfiguration__Output } from './scadalink/v1/DeployConfiguration.js';
import type { DiscardParkedOperation as _scadalink_v1_DiscardParkedOperation, DiscardParkedOperation__Output as _scadalink_v1_DiscardParkedOperation__Output } from './scadalink/v1/DiscardParkedOperation.js';
import type { GetAttributes as _scadalink_v1_GetAttributes, GetAttributes__Output as _scadalink_v1_GetAttributes__Output } from './scadalink/v1/GetAttributes.js';
import type { Hello as _scadalink_v1_Hello, Hello__Output as _scadalink_v1_Hello__Output } from './scadalink/v1/Hello.js';
import type { IngestReply as _scadalink_v1_IngestReply, IngestReply__Output as _scadalink_v1_IngestReply__Output } from './scadalink/v1/IngestReply.js';
import type { IngestRequest as _scadalink_v1_IngestRequest, IngestRequest__Output as _scadalink_v1_IngestRequest__Output } from './scadalink/v1/IngestRequest.js';
import type { OperationSnapshot as _scadalink_v1_OperationSnapshot, OperationSnapshot__Output as _scadalink_v1_OperationSnapshot__Output } from './scadalink/v1/OperationSnapshot.js';
import type { OperatorActor as _scadalink_v1_OperatorActor, OperatorActor__Output as _scadalink_v1_OperatorActor__Output } from './scadalink/v1/OperatorActor.js';
import type { PullTracking as _scadalink_v1_PullTracking, PullTracking__Output as _scadalink_v1_PullTracking__Output } from './scadalink/v1/PullTracking.js';
import type { RejectedEvent as _scadalink_v1_RejectedEvent, RejectedEvent__Output as _scadalink_v1_RejectedEvent__Output } from './scadalink/v1/RejectedEvent.js';
import type { RetryParkedOperation as _scadalink_v1_RetryParkedOperation, RetryParkedOperation__Output as _scadalink_v1_RetryParkedOperation__Output } from './scadalink/v1/RetryParkedOperation.js';
import type { RouteCall as _scadalink_v1_RouteCall, RouteCall__Output as _scadalink_v1_RouteCall__Output } from './scadalink/v1/RouteCall.js';
import type { RouteResult as _scadalink_v1_RouteResult, RouteResult__Output as _scadalink_v1_RouteResult__Output } from './scadalink/v1/RouteResult.js';
import type { ScriptActor as _scadalink_v1_ScriptActor, ScriptActor__Output as _scadalink_v1_ScriptActor__Output } from './scadalink/v1/ScriptActor.js';
import type { SetAttributes as _scadalink_v1_SetAttributes, SetAttributes__Output as _scadalink_v1_SetAttributes__Output } from './scadalink/v1/SetAttributes.js';
import type { SiteLinkClient as _scadalink_v1_SiteLinkClient, SiteLinkDefinition as _scadalink_v1_SiteLinkDefinition } from './scadalink/v1/SiteLink.js';
import type { SiteMessage as _scadalink_v1_SiteMessage, SiteMessage__Output as _scadalink_v1_SiteMessage__Output } from './scadalink/v1/SiteMessage.js';
import type { TrackingPage as _scadalink_v1_TrackingPage, TrackingPage__Output as _scadalink_v1_TrackingPage__Output } from './scadalink/v1/TrackingPage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  scadalink: {
    v1: {
      Actor: MessageTypeDefinition<_scadalink_v1_Actor, _scadalink_v1_Actor__Output>
      Attributes: MessageTypeDefinition<_scadalink_v1_Attributes, _scadalink_v1_Attributes__Output>
      AuditEvent: MessageTypeDefinition<_scadalink_v1_AuditEvent, _scadalink_v1_AuditEvent__Output>
      CentralMessage: MessageTypeDefinition<_scadalink_v1_CentralMessage, _scadalink_v1_CentralMessage__Output>
      Command: MessageTypeDefinition<_scadalink_v1_Command, _scadalink_v1_Command__Output>
      CommandReply: MessageTypeDefinition<_scadalink_v1_CommandReply, _scadalink_v1_CommandReply__Output>
      DeployConfiguration: MessageTypeDefinition<_scadalink_v1_DeployConfiguration, _scadalink_v1_DeployConfiguration__Output>
      DiscardParkedOperation: MessageTypeDefinition<_scadalink_v1_DiscardParkedOperation, _scadalink_v1_DiscardParkedOperation__Output>
      GetAttributes: MessageTypeDefinition<_scadalink_v1_GetAttributes, _scadalink_v1_GetAttributes__Output>
      Hello: MessageTypeDefinition<_scadalink_v1_Hello, _scadalink_v1_Hello__Output>
      IngestReply: MessageTypeDefinition<_scadalink_v1_IngestReply, _scadalink_v1_IngestReply__Output>
      IngestRequest: MessageTypeDefinition<_scadalink_v1_IngestRequest, _scadalink_v1_IngestRequest__Output>
      OperationSnapshot: MessageTypeDefinition<_scadalink_v1_OperationSnapshot, _scadalink_v1_OperationSnapshot__Output>
      OperatorActor: MessageTypeDefinition<_scadalink_v1_OperatorActor, _scadalink_v1_OperatorActor__Output>
      PullTracking: MessageTypeDefinition<_scadalink_v1_PullTracking, _scadalink_v1_PullTracking__Output>
      RejectedEvent: MessageTypeDefinition<_scadalink_v1_RejectedEvent, _scadalink_v1_RejectedEvent__Output>
      RetryParkedOperation: MessageTypeDefinition<_scadalink_v1_RetryParkedOperation, _scadalink_v1_RetryParkedOperation__Output>
      RouteCall: MessageTypeDefinition<_scadalink_v1_RouteCall, _scadalink_v1_RouteCall__Output>
      RouteResult: MessageTypeDefinition<_scadalink_v1_RouteResult, _scadalink_v1_RouteResult__Output>
      ScriptActor: MessageTypeDefinition<_scadalink_v1_ScriptActor, _scadalink_v1_ScriptActor__Output>
      SetAttributes: MessageTypeDefinition<_scadalink_v1_SetAttributes, _scadalink_v1_SetAttributes__Output>
      SiteLink: SubtypeConstructor<typeof grpc.Client, _scadalink_v1_SiteLinkClient> & { service: _scadalink_v1_SiteLinkDefinition }
      SiteMessage: MessageTypeDefinition<_scadalink_v1_SiteMessage, _scadalink_v1_SiteMessage__Output>
      TrackingPage: MessageTypeDefinition<_scadalink_v1_TrackingPage, _scadalink_v1_TrackingPage__Output>
    }
  }
}

