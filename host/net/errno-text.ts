// What the C library says of an errno (strerror, glibc's wording), so a refusal by rtnetlink reads
// exactly as `ip` prints it. Node names errnos (util.getSystemErrorMap) but with libuv's wording
// ("file already exists" where ip says "File exists"). The errnos rtnetlink answers with, and a few more.

const TEXTS: Record<number, string> = {
  1: "Operation not permitted",
  2: "No such file or directory",
  3: "No such process",
  4: "Interrupted system call",
  5: "Input/output error",
  6: "No such device or address",
  7: "Argument list too long",
  9: "Bad file descriptor",
  11: "Resource temporarily unavailable",
  12: "Cannot allocate memory",
  13: "Permission denied",
  14: "Bad address",
  16: "Device or resource busy",
  17: "File exists",
  19: "No such device",
  22: "Invalid argument",
  23: "Too many open files in system",
  24: "Too many open files",
  28: "No space left on device",
  34: "Numerical result out of range",
  36: "File name too long",
  61: "No data available",
  71: "Protocol error",
  74: "Bad message",
  75: "Value too large for defined data type",
  90: "Message too long",
  93: "Protocol not supported",
  95: "Operation not supported",
  97: "Address family not supported by protocol",
  98: "Address already in use",
  99: "Cannot assign requested address",
  100: "Network is down",
  101: "Network is unreachable",
  105: "No buffer space available",
  110: "Connection timed out",
  113: "No route to host",
};

/** strerror(errno) as glibc words it. */
const errnoText = (errno: number): string => TEXTS[errno] ?? `Unknown error ${errno}`;

/**
 * A kernel refusal as `ip` prints it: the extended ACK's message when the kernel gave one
 * ("Error: Nexthop has invalid gateway."), else "RTNETLINK answers: File exists".
 */
export function refusalText(errno: number, kernelMessage?: string): string {
  if (kernelMessage) return `Error: ${kernelMessage}${kernelMessage.endsWith(".") ? "" : "."}`;
  return `RTNETLINK answers: ${errnoText(errno)}`;
}
