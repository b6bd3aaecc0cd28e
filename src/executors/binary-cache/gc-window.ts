/**
 * How a push and a retention GC on S3 agree that nothing a push relies on is deleted under it
 * (docs/gc.md, "Pushes and a GC at the same time"). S3 cannot delete an object only if it is
 * unchanged, so the GC checks (HeadObject) and then deletes (DeleteObjects), and a push's touch
 * can fall between the two. The GC therefore:
 * - never deletes more than the window after its check (it checks again when it would), and
 * - renews a heartbeat object at least every half window while it deletes.
 * A push that touched objects reads the heartbeat afterwards. If no GC has deleted since shortly
 * before the touch, the touch counted; otherwise the push waits until the window has passed since
 * the touch, and asks again whether each object is there: a GC can no longer take it then.
 */

/** Renewed by a GC while it deletes; read by pushes. Nix never reads it, and the GC never deletes it. */
export const GC_HEARTBEAT_KEY = 'nix-buildtime-cache/gc-heartbeat'

/** The heartbeat is renewed when older than this share of the window. */
export const heartbeatEveryMs = (windowMs: number): number => windowMs / 2

/** Clock resolution of S3's `Date` and `Last-Modified` (1 s each) and the request's round trip. */
const SLACK_MS = 3_000

/**
 * How long after its last renewal a heartbeat may still belong to a GC deleting: it renews it at
 * least every half window before checks whose deletes follow within the window.
 */
export const heartbeatLiveMs = (windowMs: number): number => windowMs + heartbeatEveryMs(windowMs) + SLACK_MS

/**
 * Whether a touch at `touchedAt` may have fallen between a GC's check and its delete, given that
 * the latest heartbeat was renewed at `lastBeatAt` (both on the push's monotonic clock; undefined:
 * no GC has ever deleted). A delete that a touch missed follows a check made before the touch
 * and at most a window before the delete, and that check follows a heartbeat at most half a
 * window older.
 */
export function touchMayBeLost(lastBeatAt: number | undefined, touchedAt: number, windowMs: number): boolean {
  if (lastBeatAt === undefined) return false
  return lastBeatAt > touchedAt - heartbeatLiveMs(windowMs)
}
