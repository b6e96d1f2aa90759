// The site link's protobuf contract (proto/scadalink/v1/site_link.proto),
// loaded at run time; the TypeScript types of its messages are generated into
// ./generated (`npm run proto` after changing the .proto).
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../commons/index.js';
import type { ProtoGrpcType } from './generated/site_link.js';

/** Metadata that carries a site's credentials on every call. */
export const SITE_HEADER = 'x-scadalink-site';
export const SECRET_HEADER = 'x-scadalink-secret';

/** Options shared with the type generator (package.json `proto`), so types and runtime agree. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

let loaded: ProtoGrpcType | undefined;

export function siteLinkPackage(): ProtoGrpcType {
  if (loaded === undefined) {
    const def = protoLoader.loadSync(join(packageRoot(), 'proto', 'scadalink', 'v1', 'site_link.proto'), LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(def) as unknown as ProtoGrpcType;
  }
  return loaded;
}

export function siteLinkService(): grpc.ServiceDefinition {
  return siteLinkPackage().scadalink.v1.SiteLink.service;
}
