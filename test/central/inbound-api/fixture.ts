// A project whose methods use every type of the Inbound API, loaded by the real config loader.
import { type InboundMethodConfig, type ProjectConfig, parseProject } from '../../../src/config/index.js';

export const EVERY_TYPE_YAML = `
sites: { plant1: {} }
inboundApi:
  methods:
    GetRecipe:
      description: The recipe of a batch
      parameters:
        batch:
          type: Object
          fields:
            id: { type: String, description: Batch code }
            line: { type: Integer, required: false }
            items:
              type: List
              items:
                type: Object
                fields:
                  qty: { type: Integer }
                  weight: { type: Float, required: false }
                  tags: { type: List, items: { type: String } }
        verbose: { type: Boolean, required: false }
        scale: { type: Float }
      returns:
        type: Object
        fields:
          name: { type: String }
          steps: { type: List, items: { type: Integer } }
          note: { type: String, required: false }
      apiKeys: [mes]
      script: get-recipe.ts
    Ping:
      apiKeys: [mes, erp]
      timeout: 5s
      script: ping.js
    Count:
      parameters: { n: { type: Integer } }
      returns: { type: Integer, required: false }
      script: ping.js
`;

let loaded: ProjectConfig | undefined;

export function everyTypeProject(): ProjectConfig {
  loaded ??= parseProject(EVERY_TYPE_YAML, '/nowhere', {}, () => 'return 1;');
  return loaded;
}

export function method(name: string): InboundMethodConfig {
  const m = everyTypeProject().inboundApi.methods[name];
  if (m === undefined) throw new Error(`no method ${name}`);
  return m;
}
