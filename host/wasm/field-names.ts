// Record field names per header kind, from the enums in assembly/shared/fields.ts in lower camel
// case (SourcePort → sourcePort). No Node imports: the browser decoder uses it too.

import {
  ArpField,
  EthernetField,
  HeaderKind,
  Icmpv4Field,
  Ipv4Field,
  LinuxCookedField,
  TcpField,
  UdpField,
  VxlanField,
} from "../../assembly/shared/fields";

function fieldNames(enumeration: Record<string, string | number>): string[] {
  const names: string[] = [];
  for (const [name, index] of Object.entries(enumeration)) {
    if (typeof index === "number") names[index] = name[0].toLowerCase() + name.slice(1);
  }
  return names;
}

/** Field names per header kind, indexed like the record. */
export const FIELD_NAMES: Readonly<Record<HeaderKind, readonly string[]>> = {
  [HeaderKind.Ethernet]: fieldNames(EthernetField),
  [HeaderKind.Arp]: fieldNames(ArpField),
  [HeaderKind.Ipv4]: fieldNames(Ipv4Field),
  [HeaderKind.Icmpv4]: fieldNames(Icmpv4Field),
  [HeaderKind.Udp]: fieldNames(UdpField),
  [HeaderKind.Tcp]: fieldNames(TcpField),
  [HeaderKind.Vxlan]: fieldNames(VxlanField),
  [HeaderKind.LinuxCooked]: fieldNames(LinuxCookedField),
  [HeaderKind.LinuxCooked2]: fieldNames(LinuxCookedField),
};

