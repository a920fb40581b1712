// The team-work services' dependencies: the pathway's Deps plus the team store, the clinician
// directory (configuration locally, Cognito in AWS when TEAM_DIRECTORY_USER_POOL_ID is set) and
// the team configuration. Built once per Lambda container from the same environment.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfiguredDirectory, type ClinicianDirectory } from '../domain/directory.js';
import { loadTeamConfig, type TeamConfig } from '../domain/team-work.js';
import type { Deps } from '../shared/runtime.js';
import { TeamStore } from '../store/team-store.js';

export interface TeamDeps extends Deps {
  readonly team: TeamStore;
  readonly directory: ClinicianDirectory;
  readonly teamConfig: TeamConfig;
}

const built = new WeakMap<Deps, TeamDeps>();

/** Team deps over `deps`; tests may hand in a full TeamDeps, which is returned as it is. */
export async function teamDepsOf(deps: Deps | TeamDeps): Promise<TeamDeps> {
  if ('team' in deps) return deps;
  const existing = built.get(deps);
  if (existing) return existing;
  const teamConfig = loadTeamConfig();
  const userPoolId = process.env.TEAM_DIRECTORY_USER_POOL_ID;
  let directory: ClinicianDirectory = new ConfiguredDirectory(teamConfig.directory);
  if (userPoolId) {
    // Loaded only where Cognito answers the directory, so the local stack never imports it.
    const { cognitoDirectory } = await import('../shared/cognito-directory.js');
    directory = await cognitoDirectory(userPoolId);
  }
  const team = new TeamStore(
    new DynamoDBClient({}),
    { pathway: process.env.PATHWAY_TABLE_NAME ?? '', audit: process.env.AUDIT_TABLE_NAME ?? '' },
    deps.clock,
    deps.ids,
  );
  const out: TeamDeps = { ...deps, team, directory, teamConfig };
  built.set(deps, out);
  return out;
}
