/**
 * Where files live inside every container. Uploads go to /usr/local/etc because Docker copies
 * files only into directories that already exist in the image, and both the official Redis image
 * and the test image have it; /data is the per-container volume.
 */
export const CONTAINER_PATHS = {
    dataDir: "/data",
    redisTemplate: "/usr/local/etc/appscreens-redis.conf",
    sentinelTemplate: "/usr/local/etc/appscreens-sentinel.conf",
    startScript: "/usr/local/etc/appscreens-start.sh",
    healthcheckScript: "/usr/local/etc/appscreens-healthcheck.sh",
    redisLive: "/data/redis.conf",
    sentinelLive: "/data/sentinel.conf",
} as const;

/** The `redis` user of the official image (and of the test image built to match it). */
export const REDIS_UID = 999;
