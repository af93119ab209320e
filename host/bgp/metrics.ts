// The speaker's counters for /metrics: NOTIFICATIONs by peer, code, subcode and direction, and
// RFC 7606 outcomes (treat-as-withdraw, attribute-discard) by peer.

import { Counter, type Registry } from "prom-client";
import type { NotificationMessage } from "./codec/message";
import { ERROR_CODE_NAMES, ERROR_SUBCODE_NAMES } from "./constants";
import type { SpeakerCounters } from "./speaker";

export function speakerCounters(registry: Registry): SpeakerCounters {
  const notifications = new Counter({
    name: "podnet_bgp_notifications_total",
    help: "BGP NOTIFICATION messages, by peer, code, subcode and direction (sent or received)",
    labelNames: ["peer", "code", "subcode", "direction"],
    registers: [registry],
  });
  const updateErrors = new Counter({
    name: "podnet_bgp_update_errors_total",
    help: "Malformed UPDATE contents handled without a reset (RFC 7606), by peer and action (treat-as-withdraw, attribute-discard)",
    labelNames: ["peer", "action"],
    registers: [registry],
  });
  const notSent = new Counter({
    name: "podnet_bgp_routes_not_sent_total",
    help: "Routes held back from a peer because their exported attributes leave no room for the prefix in one UPDATE, by peer",
    labelNames: ["peer"],
    registers: [registry],
  });
  return {
    routesNotSent(peer: string, count: number) {
      notSent.inc({ peer }, count);
    },
    notification(peer: string, notification: NotificationMessage, direction: "sent" | "received") {
      notifications.inc({ peer, ...notificationLabels(notification), direction });
    },
    updateProblem(peer: string, action: string) {
      updateErrors.inc({ peer, action });
    },
  };
}

/**
 * The code and subcode as labels, bounded: a peer picks the numbers it sends, so only those the
 * RFCs name (subcode 0, "unspecific", for every code) are kept, the rest become "unknown".
 */
export function notificationLabels(notification: NotificationMessage): { code: string; subcode: string } {
  if (!(notification.code in ERROR_CODE_NAMES)) return { code: "unknown", subcode: "unknown" };
  const known = notification.subcode === 0 || notification.subcode in (ERROR_SUBCODE_NAMES[notification.code] ?? {});
  return { code: String(notification.code), subcode: known ? String(notification.subcode) : "unknown" };
}
