// The speaker's counters for /metrics: NOTIFICATIONs by peer, code, subcode and direction, and
// RFC 7606 outcomes (treat-as-withdraw, attribute-discard) by peer.

import { Counter, type Registry } from "prom-client";
import type { NotificationMessage } from "./codec/message";
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
  return {
    notification(peer: string, notification: NotificationMessage, direction: "sent" | "received") {
      notifications.inc({ peer, code: String(notification.code), subcode: String(notification.subcode), direction });
    },
    updateProblem(peer: string, action: string) {
      updateErrors.inc({ peer, action });
    },
  };
}
