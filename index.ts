// Stack config -> validation -> rendered redis.conf / sentinel.conf -> components -> containers
// -> post-deploy command (retire, warm, verify, drill; its report checked by contracts/report.ts)
// -> stack outputs. Validation throws before any resource is declared.
import * as pulumi from "@pulumi/pulumi";
import { PostDeploy } from "./components/post-deploy";
import { RedisCluster } from "./components/redis-cluster";
import { loadStack } from "./settings/load";

const { settings, passwords, hostTls } = loadStack();
for (const warning of settings.warnings) void pulumi.log.warn(warning);
const cluster = new RedisCluster("appscreens-redis", {
    settings,
    redisPassword: passwords.redisPassword,
    sentinelPassword: passwords.sentinelPassword,
    redisPasswordPrevious: passwords.redisPasswordPrevious,
    sentinelPasswordPrevious: passwords.sentinelPasswordPrevious,
    projectDir: __dirname,
    hostTls,
});

const runPostDeploy = settings.cluster.warmer.enabled || settings.cluster.verifier.enabled || settings.cluster.drill.afterDeploy;
const postDeploy = runPostDeploy ? new PostDeploy("post-deploy", { settings, cluster, projectDir: __dirname, hostTls }) : undefined;

export const masterName = cluster.masterName;
/** The Sentinels as apps reach them: published on 127.0.0.1 on one host, each host's address with `hosts`. */
export const sentinelEndpoints = cluster.sentinelEndpoints;
/** Single host only: absent with `hosts`, where each host has a network of its own. */
export const sentinelEndpointsInNetwork = cluster.sentinelEndpointsInNetwork;
/** Empty with `hosts`: every server announces the address and port it is reached at. */
export const natMap = cluster.natMap;
export const publishedPorts = cluster.publishedPorts;
/** Where each server is reached, by name, and with `hosts` the host it runs on (the placement). */
export const serverEndpoints = cluster.serverEndpoints;
/** Single host only (see sentinelEndpointsInNetwork). */
export const networkName = cluster.networkName;
/** The `default` user's passwords; absent with cluster.users.enabled, where `default` is off. */
export const redisPassword = cluster.redisPassword;
export const sentinelPassword = cluster.sentinelPassword;
/** With cluster.users.enabled: the app's user on the nodes and its password (secret). */
export const appUser = cluster.clientLogins?.app.user;
export const appPassword = cluster.clientLogins?.app.password;
/** With cluster.users.enabled: the Sentinels' user for clients that find the master, and its password (secret). */
export const discoveryUser = cluster.clientLogins?.discovery.user;
export const discoveryPassword = cluster.clientLogins?.discovery.password;
/** With cluster.users.enabled: the stack's tools' login on every server (the operations CLIs read it; secret). */
export const adminUser = cluster.clientLogins?.admin.user;
export const adminPassword = cluster.clientLogins?.admin.password;
/**
 * With cluster.users.migration: prepare (and once migrated): APPSCREENS_USER_PASSWORDS for the
 * migration and rotation CLIs (contracts/user-passwords-env.ts; secret).
 */
export const migrationUserPasswords = cluster.migrationUserPasswords;
export const ioredisExample = cluster.ioredisExample;
export const metricsEndpoints = settings.cluster.metrics.enabled ? cluster.metricsEndpoints : undefined;
export const prometheusScrapeConfig = cluster.prometheusScrapeConfig;
export const prometheusRules = cluster.prometheusRules;
/** With cluster.tls.enabled: the CA certificates clients trust (PEM): the stack's CA, or both during a CA rotation. */
export const tlsCaCert = cluster.tls?.trustPem;
/** With cluster.tls.enabled and authClients yes: the app's client certificate and its key (secret). */
export const tlsAppClientCert = cluster.tls?.clients.app?.certPem;
export const tlsAppClientKey = cluster.tls?.clients.app?.keyPem;
/**
 * With cluster.tls.enabled: the operations CLIs' TLS material, the value of APPSCREENS_TLS
 * (contracts/tls-env.ts: the CA, the tools' certificate and key, the renewal window; secret).
 */
export const tlsToolsEnvironment = cluster.tls?.clientEnvironment(settings.cluster.tls.renewalWindowHours, false);
export const verification = postDeploy?.result.apply((r) => r.verification);
export const warmSummary = postDeploy?.result.apply((r) => r.warm);
/** Only when cluster.drill.afterDeploy ran the drill after a deploy that verified. */
export const drillSummary = postDeploy?.result.apply((r) => r.drill);
