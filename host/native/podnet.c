// podnet's N-API addon: file-descriptor work the Node host cannot do itself. No protocol logic
// lives here: packets are bytes the Wasm core parses; this file only opens fds, waits on them
// (uv_poll on Node's own loop, so no thread-pool hop), and moves batches of packets between an
// fd and the packet slots in Wasm linear memory that the slot table describes.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/limits.h>
#include <poll.h>
#include <sched.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

// The slot table's layout, mirrored from assembly/shared/slots.ts (SlotField): one row of
// SLOT_FIELDS u32 words per packet. slotLayout exports these so the host checks them at load.
enum {
  FIELD_OFFSET = 0,
  FIELD_LENGTH = 1,
  FIELD_CAPACITY = 3,
  FIELD_STATUS = 5,
  FIELD_OUTPUT_OFFSET = 6,
  FIELD_OUTPUT_LENGTH = 7,
  FIELD_ADDRESS = 8,
  FIELD_SEGMENT_SIZE = 9,
  SLOT_FIELDS = 10,
  MAX_BATCH = 64,
};

// Throws a JS Error whose message names the call and errno, with .code = "E..." like Node's: the
// errno's own name (glibc's strerrorname_np), or "ERRNO<n>" for one glibc has no name for.
static napi_value throw_errno(napi_env env, const char *call, int error) {
  char message[160], unnamed[24];
  snprintf(message, sizeof message, "%s: %s", call, strerror(error));
  const char *code = strerrorname_np(error);
  if (code == NULL) {
    snprintf(unnamed, sizeof unnamed, "ERRNO%d", error);
    code = unnamed;
  }
  napi_throw_error(env, code, message);
  return NULL;
}

#define CHECK_NAPI(call) do { if ((call) != napi_ok) { napi_throw_error(env, "EINVAL", #call " failed"); return NULL; } } while (0)

// tunOpen(name: string, multiQueue: boolean, offload?: boolean) -> { fd: number, name: string }
// Opens (creating if needed) a TUN device without packet information, non-blocking. With offload,
// every packet read or written carries a virtio-net header and the kernel may hand over TCP
// super-packets (TSO) and partial checksums, which the Wasm core finishes.
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) { napi_throw_type_error(env, "EINVAL", "tunOpen(name, multiQueue, offload) takes two or three arguments"); return NULL; }
  bool offload = false;
  if (argc >= 3) CHECK_NAPI(napi_get_value_bool(env, argv[2], &offload));

  // Measure first: reading into the 16-byte buffer would silently cut a longer name to 15 bytes.
  char name[IFNAMSIZ];
  size_t name_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &name_length) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "tunOpen: name must be a string");
    return NULL;
  }
  if (name_length > IFNAMSIZ - 1) { napi_throw_range_error(env, "EINVAL", "tunOpen: name longer than 15 bytes"); return NULL; }
  CHECK_NAPI(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length));
  bool multi_queue = false;
  CHECK_NAPI(napi_get_value_bool(env, argv[1], &multi_queue));

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun", errno);
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_flags = IFF_TUN | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0) | (offload ? IFF_VNET_HDR : 0);
  memcpy(request.ifr_name, name, name_length);
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETIFF", error);
  }
  // Only what the Wasm core can cut: IPv4 TCP (pods are IPv4); the kernel segments anything else.
  if (offload && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETOFFLOAD", error);
  }

  napi_value result, fd_value, name_value;
  CHECK_NAPI(napi_create_object(env, &result));
  CHECK_NAPI(napi_create_int32(env, fd, &fd_value));
  CHECK_NAPI(napi_create_string_utf8(env, request.ifr_name, NAPI_AUTO_LENGTH, &name_value));
  CHECK_NAPI(napi_set_named_property(env, result, "fd", fd_value));
  CHECK_NAPI(napi_set_named_property(env, result, "name", name_value));
  return result;
}

// tunPersist(fd: number, persist: boolean) -> undefined
// TUNSETPERSIST: a persistent TUN device (and the routes through it) outlives the fd, so a process
// that dies and comes back finds its device and routes where it left them.
static napi_value tun_persist(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  bool persist = false;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &persist) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "tunPersist(fd, persist) takes an fd and a boolean");
    return NULL;
  }
  if (ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0) return throw_errno(env, "ioctl TUNSETPERSIST", errno);
  return NULL;
}

// closeFd(fd: number) -> undefined
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "closeFd(fd) takes a number");
    return NULL;
  }
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

// tryLock(fd) -> boolean: an exclusive flock(2) on fd without waiting; false when another open
// file holds it. The CNI IPAM store locks its directory's `lock` file this way, as host-local does,
// so the two share one lock; the kernel drops it when the fd closes or the process dies.
static napi_value try_lock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "tryLock(fd) takes a number");
    return NULL;
  }
  bool locked = true;
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK) return throw_errno(env, "flock", errno);
    locked = false;
  }
  CHECK_NAPI(napi_get_boolean(env, locked, &result));
  return result;
}

// udpOpen(address: number, port: number, gro?: boolean) -> fd
// A non-blocking UDP socket bound to address:port (address as a host-order number), with large
// buffers: a batch of 64 full-size datagrams must fit, and root may exceed the sysctl limits.
// With gro, the kernel may hand over several datagrams of one flow in one read (UDP_GRO).
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t address = 0, port = 0;
  bool gro = false;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &address) != napi_ok || napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535 ||
      (argc >= 3 && napi_get_value_bool(env, argv[2], &gro) != napi_ok)) {
    napi_throw_type_error(env, "EINVAL", "udpOpen(address, port, gro?) takes an IPv4 number, a port and a boolean");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int size = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  int one = 1;
  if (gro && setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "setsockopt UDP_GRO", error);
  }
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(address)}};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "bind", error);
  }
  napi_value result;
  CHECK_NAPI(napi_create_int32(env, fd, &result));
  return result;
}

// The arguments every batch call starts with: (fd, memory: ArrayBuffer, table: number, n: number).
typedef struct {
  int fd;
  uint8_t *memory;
  size_t memory_length;
  uint32_t *table;
  uint32_t n;
} batch_args;

static bool get_batch_args(napi_env env, napi_value *argv, size_t argc, size_t needed, batch_args *out) {
  int32_t fd;
  uint32_t table, n;
  void *data;
  size_t length;
  if (argc < needed || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_arraybuffer_info(env, argv[1], &data, &length) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &table) != napi_ok || napi_get_value_uint32(env, argv[3], &n) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "batch calls take (fd, memory: ArrayBuffer, table: number, n: number, ...)");
    return false;
  }
  if (n > MAX_BATCH || (table & 3) != 0 || (size_t)table + (size_t)n * SLOT_FIELDS * 4 > length) {
    napi_throw_range_error(env, "EINVAL", "slot table outside memory or more than 64 slots");
    return false;
  }
  *out = (batch_args){fd, data, length, (uint32_t *)((uint8_t *)data + table), n};
  return true;
}

// True when [offset, offset + length) lies inside memory.
static bool in_memory(const batch_args *args, uint32_t offset, uint32_t length) {
  return (size_t)offset + length <= args->memory_length;
}

static napi_value count_or_throw(napi_env env, uint32_t count, int error, const char *call) {
  if (count == 0 && error != 0 && error != EAGAIN && error != EWOULDBLOCK) return throw_errno(env, call, error);
  napi_value result;
  CHECK_NAPI(napi_create_uint32(env, count, &result));
  return result;
}

// readPackets(fd, memory, table, n) -> count
// Reads up to n packets (one read() each, as a TUN device gives them) into slots 0 … count − 1,
// each at its Offset with at most Capacity bytes; sets Length. Stops when the fd has no more.
static napi_value read_packets(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batch_args args;
  if (!get_batch_args(env, argv, argc, 4, &args)) return NULL;
  uint32_t count = 0;
  int error = 0;
  while (count < args.n) {
    uint32_t *slot = args.table + count * SLOT_FIELDS;
    if (!in_memory(&args, slot[FIELD_OFFSET], slot[FIELD_CAPACITY])) { error = EINVAL; break; }
    ssize_t got = read(args.fd, args.memory + slot[FIELD_OFFSET], slot[FIELD_CAPACITY]);
    if (got < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    slot[FIELD_LENGTH] = (uint32_t)got;
    count++;
  }
  return count_or_throw(env, count, error, "read");
}

// Output of slot i when its Status matches `want_ok` (Status 0, or an error with a reply to
// send, e.g. an ICMP error) and it has one; NULL otherwise.
static uint8_t *output_of(const batch_args *args, uint32_t i, bool want_ok, uint32_t *length) {
  uint32_t *slot = args->table + i * SLOT_FIELDS;
  *length = slot[FIELD_OUTPUT_LENGTH];
  if ((slot[FIELD_STATUS] == 0) != want_ok || *length == 0 || !in_memory(args, slot[FIELD_OUTPUT_OFFSET], *length)) return NULL;
  return args->memory + slot[FIELD_OUTPUT_OFFSET];
}

// writePackets(fd, memory, table, n, statusOk) -> count written
// Writes the output of each of slots 0 … n − 1 whose Status is Ok (statusOk) or not Ok but has
// an output (an ICMP error for the sender), one write() per packet, as a TUN device takes them.
static napi_value write_packets(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batch_args args;
  bool want_ok = true;
  if (!get_batch_args(env, argv, argc, 5, &args)) return NULL;
  CHECK_NAPI(napi_get_value_bool(env, argv[4], &want_ok));
  uint32_t count = 0;
  for (uint32_t i = 0; i < args.n; i++) {
    uint32_t length;
    uint8_t *packet = output_of(&args, i, want_ok, &length);
    if (packet == NULL) continue;
    // An Ok output with SegmentSize set holds records, [u32 length (little-endian)][bytes] each,
    // one packet per record (the Wasm core's decap of a UDP GRO read): slot counts when all went.
    bool records = want_ok && args.table[i * SLOT_FIELDS + FIELD_SEGMENT_SIZE] != 0;
    bool all_written = true;
    for (uint32_t at = 0; at < length;) {
      uint32_t size = length - at;
      uint8_t *bytes = packet + at;
      if (records) {
        if (size < 4) break;
        memcpy(&size, packet + at, 4);
        if (size > length - at - 4) break;
        bytes += 4;
        at += 4;
      }
      ssize_t put;
      do put = write(args.fd, bytes, size); while (put < 0 && errno == EINTR);
      // A failed write (full queue, device down) drops that packet, as a NIC would; the caller
      // counts what was not written.
      if (put < 0) all_written = false;
      at += size;
    }
    if (all_written) count++;
  }
  return count_or_throw(env, count, 0, "write");
}

// receiveDatagrams(fd, memory, table, n) -> count
// recvmmsg: up to n datagrams into slots 0 … count − 1 at their Offset (Capacity bytes each);
// sets Length, Address (the sender's IPv4, host order) and SegmentSize (UDP_GRO's, or 0). A datagram larger than its slot gets
// Length 0, which the data path counts as truncated.
static napi_value receive_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batch_args args;
  if (!get_batch_args(env, argv, argc, 4, &args)) return NULL;
  struct mmsghdr messages[MAX_BATCH];
  struct iovec vectors[MAX_BATCH];
  struct sockaddr_in senders[MAX_BATCH];
  union {
    char bytes[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } controls[MAX_BATCH];
  for (uint32_t i = 0; i < args.n; i++) {
    uint32_t *slot = args.table + i * SLOT_FIELDS;
    if (!in_memory(&args, slot[FIELD_OFFSET], slot[FIELD_CAPACITY])) return count_or_throw(env, 0, EINVAL, "recvmmsg");
    vectors[i] = (struct iovec){args.memory + slot[FIELD_OFFSET], slot[FIELD_CAPACITY]};
    messages[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &senders[i], .msg_namelen = sizeof senders[i], .msg_iov = &vectors[i], .msg_iovlen = 1,
                                               .msg_control = controls[i].bytes, .msg_controllen = sizeof controls[i].bytes}};
  }
  int got;
  do got = recvmmsg(args.fd, messages, args.n, MSG_DONTWAIT, NULL); while (got < 0 && errno == EINTR);
  if (got < 0) return count_or_throw(env, 0, errno, "recvmmsg");
  for (int i = 0; i < got; i++) {
    uint32_t *slot = args.table + i * SLOT_FIELDS;
    slot[FIELD_LENGTH] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : messages[i].msg_len;
    slot[FIELD_ADDRESS] = ntohl(senders[i].sin_addr.s_addr);
    // With UDP_GRO, a read may hold several datagrams of one flow, each gso_size long but the last.
    slot[FIELD_SEGMENT_SIZE] = 0;
    for (struct cmsghdr *control = CMSG_FIRSTHDR(&messages[i].msg_hdr); control != NULL; control = CMSG_NXTHDR(&messages[i].msg_hdr, control)) {
      if (control->cmsg_level == SOL_UDP && control->cmsg_type == UDP_GRO) {
        int size;
        memcpy(&size, CMSG_DATA(control), sizeof size);
        slot[FIELD_SEGMENT_SIZE] = (uint32_t)size;
      }
    }
  }
  return count_or_throw(env, (uint32_t)got, 0, "recvmmsg");
}

// Datagrams one UDP_SEGMENT send may carry: the kernel's UDP_MAX_SEGMENTS is at least 64, and the
// whole send must fit one IPv4 packet's 65,535 bytes less the IPv4 and UDP headers.
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES (65535 - 20 - 8)
// Messages one batch may need: a 64 KB output cut into two sends at most, for each of 64 slots.
#define MAX_MESSAGES (MAX_BATCH * 3)

// The optional failures argument of the send calls: an Int32Array of at least 2, zeroed.
static bool get_failures(napi_env env, napi_value value, int32_t **failures) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array || length < 2) {
    napi_throw_type_error(env, "EINVAL", "failures must be an Int32Array of at least 2");
    return false;
  }
  *failures = data;
  (*failures)[0] = (*failures)[1] = 0;
  return true;
}

// Sends messages 0 … queued − 1 with sendmmsg, each belonging to slot slot_of[i] (a slot's messages
// are consecutive). Counts slots, not messages: a slot is sent when its last message is and none of
// it failed. A message the kernel refuses (no route to its node, …) fails its slot, counted in
// *failed with the errno in *last_error; the rest still go. A full socket buffer drops the rest.
static uint32_t send_queue(int fd, struct mmsghdr *messages, uint32_t queued, const uint8_t *slot_of, bool *slot_failed, uint32_t *failed, int *last_error) {
  uint32_t sent = 0, sent_slots = 0;
  while (sent < queued) {
    int put = sendmmsg(fd, messages + sent, queued - sent, MSG_DONTWAIT);
    if (put < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      *last_error = errno;
      if (!slot_failed[slot_of[sent]]) (*failed)++;
      slot_failed[slot_of[sent]] = true;
      sent++;
      continue;
    }
    for (int k = 0; k < put; k++, sent++) {
      bool last_of_slot = sent + 1 == queued || slot_of[sent + 1] != slot_of[sent];
      if (last_of_slot && !slot_failed[slot_of[sent]]) sent_slots++;
    }
  }
  return sent_slots;
}

// sendDatagrams(fd, memory, table, n, port, failures?) -> count of slots sent
// sendmmsg: the output of each Ok slot among 0 … n − 1 to its Address:port. A slot whose
// SegmentSize is set holds datagrams of that size back to back (the last may be shorter): they go
// out as UDP_SEGMENT sends, the kernel cutting them, in as few messages as its limits allow. A slot
// counts as sent only when all of it went. failures (an Int32Array of 2) receives the number of
// slots that failed for a reason other than a full socket buffer and the last such errno: a slot
// that cannot be sent at all (segments over the UDP limit, more messages than a batch holds) as
// EMSGSIZE / ENOBUFS, one the kernel refused (no route, …) with its errno; the rest still go.
static napi_value send_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batch_args args;
  uint32_t port = 0;
  if (!get_batch_args(env, argv, argc, 5, &args)) return NULL;
  CHECK_NAPI(napi_get_value_uint32(env, argv[4], &port));
  int32_t *failures = NULL;
  if (argc >= 6 && !get_failures(env, argv[5], &failures)) return NULL;
  static struct mmsghdr messages[MAX_MESSAGES];
  static struct iovec vectors[MAX_MESSAGES];
  static struct sockaddr_in peers[MAX_BATCH];
  static union {
    char bytes[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } controls[MAX_MESSAGES];
  uint8_t slot_of[MAX_MESSAGES] = {0};
  bool slot_failed[MAX_BATCH] = {false};
  uint32_t queued = 0, slots = 0, failed = 0;
  int last_error = 0;
  for (uint32_t i = 0; i < args.n; i++) {
    uint32_t length;
    uint8_t *payload = output_of(&args, i, true, &length);
    if (payload == NULL) continue;
    uint32_t segment = args.table[i * SLOT_FIELDS + FIELD_SEGMENT_SIZE];
    uint32_t per_send = length;
    if (segment != 0 && segment < length) {
      uint32_t fit = GSO_MAX_BYTES / segment;
      per_send = segment * (fit < GSO_MAX_SEGMENTS ? fit : GSO_MAX_SEGMENTS);
    }
    // A datagram over the UDP limit can never go (and a zero step would never end the loop below).
    uint32_t needed = per_send == 0 || per_send > GSO_MAX_BYTES ? 0 : (length + per_send - 1) / per_send;
    if (needed == 0 || queued + needed > MAX_MESSAGES) {
      failed++;
      last_error = needed == 0 ? EMSGSIZE : ENOBUFS;
      continue;
    }
    peers[slots] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(args.table[i * SLOT_FIELDS + FIELD_ADDRESS])}};
    for (uint32_t done = 0; done < length; done += per_send) {
      uint32_t part = length - done < per_send ? length - done : per_send;
      vectors[queued] = (struct iovec){payload + done, part};
      struct msghdr *header = &messages[queued].msg_hdr;
      *header = (struct msghdr){.msg_name = &peers[slots], .msg_namelen = sizeof peers[slots], .msg_iov = &vectors[queued], .msg_iovlen = 1};
      if (segment != 0 && part > segment) {
        header->msg_control = controls[queued].bytes;
        header->msg_controllen = sizeof controls[queued].bytes;
        struct cmsghdr *control = CMSG_FIRSTHDR(header);
        control->cmsg_level = SOL_UDP;
        control->cmsg_type = UDP_SEGMENT;
        control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t size = (uint16_t)segment;
        memcpy(CMSG_DATA(control), &size, sizeof size);
      }
      slot_of[queued++] = (uint8_t)slots;
    }
    slots++;
  }
  uint32_t sent_slots = send_queue(args.fd, messages, queued, slot_of, slot_failed, &failed, &last_error);
  if (failures != NULL) {
    failures[0] = (int32_t)failed;
    failures[1] = last_error;
  }
  napi_value result;
  CHECK_NAPI(napi_create_uint32(env, sent_slots, &result));
  return result;
}

// Messages one sendPackets flush holds: a 64 KB TSO output cut at a ~536-byte MSS is ~120 packets.
#define RAW_MESSAGES 256

// sendPackets(fd, memory, table, n, failures?) -> count of slots sent
// For a raw socket with IP_HDRINCL (IPIP): the output of each Ok slot among 0 … n − 1 is whole
// IPv4 packets, SegmentSize apart when set (a TSO output the Wasm core cut: the last may be
// shorter), each sent as its own message to the slot's Address (raw sockets have no UDP_SEGMENT).
// Slots are queued whole, flushing when the next would not fit. failures as sendDatagrams.
static napi_value send_packets(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  batch_args args;
  if (!get_batch_args(env, argv, argc, 4, &args)) return NULL;
  int32_t *failures = NULL;
  if (argc >= 5 && !get_failures(env, argv[4], &failures)) return NULL;
  static struct mmsghdr messages[RAW_MESSAGES];
  static struct iovec vectors[RAW_MESSAGES];
  static struct sockaddr_in peers[MAX_BATCH];
  uint8_t slot_of[RAW_MESSAGES] = {0};
  bool slot_failed[MAX_BATCH] = {false};
  uint32_t queued = 0, failed = 0, sent_slots = 0;
  int last_error = 0;
  for (uint32_t i = 0; i < args.n; i++) {
    uint32_t length;
    uint8_t *packets = output_of(&args, i, true, &length);
    if (packets == NULL) continue;
    uint32_t stride = args.table[i * SLOT_FIELDS + FIELD_SEGMENT_SIZE];
    if (stride == 0 || stride > length) stride = length;
    uint32_t needed = (length + stride - 1) / stride;
    if (needed > RAW_MESSAGES) {
      failed++;
      last_error = ENOBUFS;
      continue;
    }
    if (queued + needed > RAW_MESSAGES) {
      sent_slots += send_queue(args.fd, messages, queued, slot_of, slot_failed, &failed, &last_error);
      queued = 0;
    }
    peers[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = {htonl(args.table[i * SLOT_FIELDS + FIELD_ADDRESS])}};
    for (uint32_t done = 0; done < length; done += stride) {
      uint32_t part = length - done < stride ? length - done : stride;
      vectors[queued] = (struct iovec){packets + done, part};
      messages[queued].msg_hdr = (struct msghdr){.msg_name = &peers[i], .msg_namelen = sizeof peers[i], .msg_iov = &vectors[queued], .msg_iovlen = 1};
      slot_of[queued++] = (uint8_t)i;
    }
  }
  sent_slots += send_queue(args.fd, messages, queued, slot_of, slot_failed, &failed, &last_error);
  if (failures != NULL) {
    failures[0] = (int32_t)failed;
    failures[1] = last_error;
  }
  napi_value result;
  CHECK_NAPI(napi_create_uint32(env, sent_slots, &result));
  return result;
}

// rawIpipOpen(address: number) -> fd
// A non-blocking raw IPv4 socket for IP protocol 4 (IPIP) bound to address (host order): it
// receives every protocol-4 packet to that address, outer header included, and sends packets
// whose outer header the caller wrote (IP_HDRINCL; the kernel fills in the checksum). Large
// buffers, as udpOpen's. Needs CAP_NET_RAW.
static napi_value raw_ipip_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t address = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &address) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "rawIpipOpen(address) takes an IPv4 number");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int size = 4 << 20, one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = {htonl(address)}};
  if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "bind", error);
  }
  napi_value result;
  CHECK_NAPI(napi_create_int32(env, fd, &result));
  return result;
}

// A uv_poll on an fd that calls a JS function when it is readable. The struct lives until both
// the poll handle is closed (stopWatch, or the JS handle collected) and the JS handle is gone.
typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  bool stopped, closed, collected;
} fd_watch;

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  fd_watch *watch = (fd_watch *)handle;
  napi_env env = watch->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argument, result;
  if (napi_get_reference_value(env, watch->callback, &callback) == napi_ok && napi_get_global(env, &receiver) == napi_ok &&
      napi_create_int32(env, status, &argument) == napi_ok) {
    // make_callback, not call_function: it runs the microtasks queued by the callback afterwards.
    if (napi_make_callback(env, watch->context, receiver, callback, 1, &argument, &result) == napi_pending_exception) {
      napi_value error;
      // A throw in the callback is the process's uncaught exception, never silently dropped.
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *handle) {
  fd_watch *watch = (fd_watch *)handle;
  watch->closed = true;
  if (watch->collected) free(watch);
}

static void stop(napi_env env, fd_watch *watch) {
  if (watch->stopped) return;
  watch->stopped = true;
  uv_poll_stop(&watch->handle);
  napi_delete_reference(env, watch->callback);
  napi_async_destroy(env, watch->context);
  uv_close((uv_handle_t *)&watch->handle, on_closed);
}

static void on_collected(napi_env env, void *data, void *hint) {
  (void)hint;
  fd_watch *watch = data;
  watch->collected = true;
  stop(env, watch);
  if (watch->closed) free(watch);
}

// watchReadable(fd, callback(status)) -> handle; the callback runs on Node's loop each time fd is
// readable (level-triggered) until stopWatch(handle).
static napi_value watch_readable(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, "EINVAL", "watchReadable(fd, callback) takes a number and a function");
    return NULL;
  }
  struct uv_loop_s *loop;
  CHECK_NAPI(napi_get_uv_event_loop(env, &loop));
  fd_watch *watch = calloc(1, sizeof *watch);
  if (watch == NULL) return throw_errno(env, "calloc", ENOMEM);
  int error = uv_poll_init(loop, &watch->handle, fd);
  if (error != 0) {
    free(watch);
    return throw_errno(env, "uv_poll_init", -error);
  }
  watch->env = env;
  napi_value name, handle;
  bool referenced = napi_create_reference(env, argv[1], 1, &watch->callback) == napi_ok;
  bool contextual = referenced && napi_create_string_utf8(env, "podnet.watchReadable", NAPI_AUTO_LENGTH, &name) == napi_ok &&
                    napi_async_init(env, NULL, name, &watch->context) == napi_ok;
  if (!contextual || napi_create_external(env, watch, on_collected, NULL, &handle) != napi_ok) {
    // No JS handle owns the watch: close the poll handle and free it here (collected = nobody else will).
    if (referenced) napi_delete_reference(env, watch->callback);
    if (contextual) napi_async_destroy(env, watch->context);
    watch->stopped = watch->collected = true;
    uv_close((uv_handle_t *)&watch->handle, on_closed);
    napi_throw_error(env, "ENOMEM", "watchReadable: cannot create its handle");
    return NULL;
  }
  error = uv_poll_start(&watch->handle, UV_READABLE, on_readable);
  if (error != 0) {
    stop(env, watch);
    return throw_errno(env, "uv_poll_start", -error);
  }
  return handle;
}

// stopWatch(handle): stops a watchReadable; idempotent.
static napi_value stop_watch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "stopWatch(handle) takes what watchReadable returned");
    return NULL;
  }
  stop(env, data);
  return NULL;
}

// tcpSocket(ipv6: boolean) -> fd: a non-blocking TCP socket, not yet connected, so the host can set
// TCP_MD5SIG and the TTLs before its SYN goes out (Node's net cannot), then hand it to net.Socket.
static napi_value tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool ipv6 = false;
  if (argc >= 1) napi_get_value_bool(env, argv[0], &ipv6);
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  CHECK_NAPI(napi_create_int32(env, fd, &result));
  return result;
}

// tcpMd5Key(fd, peer: string, key: string) -> undefined: RFC 2385 TCP_MD5SIG for segments to and
// from the peer's address (IPv4 or IPv6 text); an empty key removes it. On a listening socket the
// key applies to connections accepted from that peer.
static napi_value tcp_md5_key(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  char peer[INET6_ADDRSTRLEN + 1];
  char key[TCP_MD5SIG_MAXKEYLEN + 1];
  size_t peer_length = 0, key_length = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], peer, sizeof peer, &peer_length) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], key, sizeof key, &key_length) != napi_ok || key_length > TCP_MD5SIG_MAXKEYLEN) {
    napi_throw_type_error(env, "EINVAL", "tcpMd5Key(fd, peer, key) takes a number, an address and a key of at most 80 bytes");
    return NULL;
  }
  struct tcp_md5sig md5;
  memset(&md5, 0, sizeof md5);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&md5.tcpm_addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&md5.tcpm_addr;
  if (inet_pton(AF_INET, peer, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, peer, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    napi_throw_type_error(env, "EINVAL", "tcpMd5Key: peer is not an IP address");
    return NULL;
  }
  md5.tcpm_keylen = (uint16_t)key_length;
  memcpy(md5.tcpm_key, key, key_length);
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof md5) < 0) return throw_errno(env, "setsockopt TCP_MD5SIG", errno);
  return NULL;
}

// socketTtl(fd, ttl: number, minTtl: number) -> undefined: IP_TTL for what the socket sends and,
// when minTtl > 0, IP_MINTTL for what it accepts (RFC 5082 GTSM: 255 and 254).
static napi_value socket_ttl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, ttl = 0, min_ttl = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &ttl) != napi_ok ||
      napi_get_value_int32(env, argv[2], &min_ttl) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "socketTtl(fd, ttl, minTtl) takes three numbers");
    return NULL;
  }
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0) return throw_errno(env, "setsockopt IP_TTL", errno);
  if (min_ttl > 0 && setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof min_ttl) < 0) return throw_errno(env, "setsockopt IP_MINTTL", errno);
  return NULL;
}

// netlinkOpen(namespacePath?, groups?) -> fd: a blocking NETLINK_ROUTE socket in the network namespace
// at namespacePath (/var/run/netns/NAME, /proc/PID/ns/net), or this process's own. The thread
// enters the namespace only for socket() and comes straight back; the socket stays there.
static napi_value netlink_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX] = "";
  napi_valuetype kind = napi_undefined;
  if (argc >= 1) CHECK_NAPI(napi_typeof(env, argv[0], &kind));
  if (kind == napi_string) CHECK_NAPI(napi_get_value_string_utf8(env, argv[0], path, sizeof path, NULL));
  uint32_t groups = 0;
  napi_valuetype groups_kind = napi_undefined;
  if (argc >= 2) CHECK_NAPI(napi_typeof(env, argv[1], &groups_kind));
  if (groups_kind == napi_number) CHECK_NAPI(napi_get_value_uint32(env, argv[1], &groups));
  int home = -1;
  if (path[0] != '\0') {
    int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) return throw_errno(env, "open network namespace", errno);
    home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0 || setns(target, CLONE_NEWNET) < 0) {
      int error = errno;
      close(target);
      if (home >= 0) close(home);
      return throw_errno(env, "setns", error);
    }
    close(target);
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int error = errno;
  if (home >= 0) {
    // Staying in another namespace would move every later socket of this thread there.
    if (setns(home, CLONE_NEWNET) < 0) napi_fatal_error("netlinkOpen", NAPI_AUTO_LENGTH, "could not return to the process's network namespace", NAPI_AUTO_LENGTH);
    close(home);
  }
  if (fd < 0) return throw_errno(env, "socket AF_NETLINK", error);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = groups};
  int one = 1;
  // Each acknowledgement of a batch is an skb of its own (about a kilobyte with overhead): room
  // for thousands, as iproute2 asks for a megabyte. FORCE needs CAP_NET_ADMIN; without it, ask.
  int receive_buffer = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
      setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) < 0) {
    error = errno;
    close(fd);
    return throw_errno(env, "bind AF_NETLINK", error);
  }
  // The kernel's own words for a refusal ("Nexthop has invalid gateway"), as `ip` prints them.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  napi_value result;
  CHECK_NAPI(napi_create_int32(env, fd, &result));
  return result;
}

// Reads (fd, memory: ArrayBuffer, offset, length) from the arguments: the byte range must lie in memory.
static bool fd_and_range(napi_env env, napi_callback_info info, const char *usage, int32_t *fd, uint8_t **bytes, uint32_t *length, int32_t *timeout) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  void *data = NULL;
  size_t size = 0;
  uint32_t offset = 0;
  *timeout = 0;
  if (argc < 4 || napi_get_value_int32(env, argv[0], fd) != napi_ok || napi_get_arraybuffer_info(env, argv[1], &data, &size) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &offset) != napi_ok || napi_get_value_uint32(env, argv[3], length) != napi_ok ||
      (argc >= 5 && napi_get_value_int32(env, argv[4], timeout) != napi_ok) || (uint64_t)offset + *length > size) {
    napi_throw_type_error(env, "EINVAL", usage);
    return false;
  }
  *bytes = (uint8_t *)data + offset;
  return true;
}

// netlinkSend(fd, memory, offset, length) -> bytes sent: one datagram (any number of messages) to the kernel.
static napi_value netlink_send(napi_env env, napi_callback_info info) {
  int32_t fd, timeout;
  uint8_t *bytes;
  uint32_t length;
  if (!fd_and_range(env, info, "netlinkSend(fd, memory, offset, length)", &fd, &bytes, &length, &timeout)) return NULL;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent = sendto(fd, bytes, length, 0, (struct sockaddr *)&kernel, sizeof kernel);
  if (sent < 0) return throw_errno(env, "sendto AF_NETLINK", errno);
  napi_value result;
  CHECK_NAPI(napi_create_uint32(env, (uint32_t)sent, &result));
  return result;
}

// netlinkReceive(fd, memory, offset, capacity, timeoutMs) -> bytes of one datagram, 0 when none came
// within timeoutMs. A datagram larger than capacity is an error (MSG_TRUNC), never cut silently.
static napi_value netlink_receive(napi_env env, napi_callback_info info) {
  int32_t fd, timeout;
  uint8_t *bytes;
  uint32_t capacity;
  if (!fd_and_range(env, info, "netlinkReceive(fd, memory, offset, capacity, timeoutMs)", &fd, &bytes, &capacity, &timeout)) return NULL;
  struct pollfd ready = {.fd = fd, .events = POLLIN};
  int polled = poll(&ready, 1, timeout);
  if (polled < 0) return throw_errno(env, "poll", errno);
  ssize_t received = 0;
  if (polled > 0) {
    received = recv(fd, bytes, capacity, MSG_TRUNC);
    if (received < 0) return throw_errno(env, "recv AF_NETLINK", errno);
    if ((size_t)received > capacity) return throw_errno(env, "recv AF_NETLINK (datagram larger than the buffer)", EMSGSIZE);
  }
  napi_value result;
  CHECK_NAPI(napi_create_uint32(env, (uint32_t)received, &result));
  return result;
}

// peerCredentials(fd) -> {pid, uid, gid}: SO_PEERCRED of a connected unix socket, the
// credentials the peer had when it connected (the kernel's word, not the peer's).
static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "peerCredentials(fd) takes a file descriptor");
    return NULL;
  }
  struct ucred credentials;
  socklen_t length = sizeof credentials;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0) return throw_errno(env, "getsockopt SO_PEERCRED", errno);
  napi_value result, pid, uid, gid;
  CHECK_NAPI(napi_create_object(env, &result));
  CHECK_NAPI(napi_create_int32(env, credentials.pid, &pid));
  CHECK_NAPI(napi_create_uint32(env, credentials.uid, &uid));
  CHECK_NAPI(napi_create_uint32(env, credentials.gid, &gid));
  CHECK_NAPI(napi_set_named_property(env, result, "pid", pid));
  CHECK_NAPI(napi_set_named_property(env, result, "uid", uid));
  CHECK_NAPI(napi_set_named_property(env, result, "gid", gid));
  return result;
}

static napi_value slot_layout(napi_env env) {
  napi_value layout, value;
  const struct { const char *name; int value; } fields[] = {
    {"Offset", FIELD_OFFSET}, {"Length", FIELD_LENGTH}, {"Capacity", FIELD_CAPACITY}, {"Status", FIELD_STATUS},
    {"OutputOffset", FIELD_OUTPUT_OFFSET}, {"OutputLength", FIELD_OUTPUT_LENGTH}, {"Address", FIELD_ADDRESS}, {"SegmentSize", FIELD_SEGMENT_SIZE},
    {"SLOT_FIELDS", SLOT_FIELDS}, {"MAX_BATCH", MAX_BATCH},
  };
  if (napi_create_object(env, &layout) != napi_ok) return NULL;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (napi_create_int32(env, fields[i].value, &value) != napi_ok || napi_set_named_property(env, layout, fields[i].name, value) != napi_ok) return NULL;
  }
  return layout;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"udpOpen", NULL, udp_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tunPersist", NULL, tun_persist, NULL, NULL, NULL, napi_enumerable, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tryLock", NULL, try_lock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readPackets", NULL, read_packets, NULL, NULL, NULL, napi_enumerable, NULL},
    {"writePackets", NULL, write_packets, NULL, NULL, NULL, napi_enumerable, NULL},
    {"receiveDatagrams", NULL, receive_datagrams, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendDatagrams", NULL, send_datagrams, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendPackets", NULL, send_packets, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rawIpipOpen", NULL, raw_ipip_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchReadable", NULL, watch_readable, NULL, NULL, NULL, napi_enumerable, NULL},
    {"stopWatch", NULL, stop_watch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tcpSocket", NULL, tcp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tcpMd5Key", NULL, tcp_md5_key, NULL, NULL, NULL, napi_enumerable, NULL},
    {"socketTtl", NULL, socket_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
    {"peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL},
    {"netlinkOpen", NULL, netlink_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"netlinkSend", NULL, netlink_send, NULL, NULL, NULL, napi_enumerable, NULL},
    {"netlinkReceive", NULL, netlink_receive, NULL, NULL, NULL, napi_enumerable, NULL},
    {"slotLayout", NULL, NULL, NULL, NULL, slot_layout(env), napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
