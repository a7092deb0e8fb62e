/**
 * Where files live inside every container. Uploads go to /usr/local/etc because Docker copies
 * files only into directories that already exist in the image, and both the official Redis image
 * and the test image have it; /data is the per-container volume.
 */
export const CONTAINER_PATHS = {
    dataDir: "/data",
    /** The initial server config (secret): installed into /data on a volume's first start only. */
    initialConf: "/usr/local/etc/appscreens-initial.conf",
    /** The cluster as it was when the container was created (secret: holds a password). */
    clusterEnv: "/usr/local/etc/appscreens-cluster.env",
    startScript: "/usr/local/etc/appscreens-start.sh",
    handoverScript: "/usr/local/etc/appscreens-handover.sh",
    healthcheckScript: "/usr/local/etc/appscreens-healthcheck.sh",
    promotionGuardScript: "/usr/local/etc/appscreens-promotion-guard.sh",
    /** Present while a restarted replica is held unpromotable; holds the priority to give back. */
    promotionGuard: "/data/appscreens-promotion-guard",
    redisLive: "/data/redis.conf",
    sentinelLive: "/data/sentinel.conf",
    /**
     * With TLS: the server's CA, leaf and key as uploaded (secret, 0400), read by the start script
     * only while the TLS directory below does not hold them yet (render/container-scripts.ts).
     */
    tlsCaUpload: "/usr/local/etc/appscreens-tls-ca.pem",
    tlsCertUpload: "/usr/local/etc/appscreens-tls-server.pem",
    tlsKeyUpload: "/usr/local/etc/appscreens-tls-server-key.pem",
    /**
     * With TLS: what the server and its scripts read (render/tls-conf.ts TLS_CONTAINER_FILES). On the
     * data volume, not at the upload paths: Docker cannot change a running container's uploads, and a
     * renewal writes a new leaf here and asks the node to reload it.
     */
    tlsDir: "/data/tls",
    tlsCaCert: "/data/tls/ca.pem",
    tlsCert: "/data/tls/server.pem",
    tlsKey: "/data/tls/server-key.pem",
} as const;

/** The `redis` user of the official image (and of the test image built to match it). */
export const REDIS_USER = "redis";
