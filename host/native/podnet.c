// podnet's N-API addon: file-descriptor work the Node host cannot do itself. No protocol logic
// lives here: packets are bytes the Wasm core parses; this file only opens and moves them.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

// Throws a JS Error whose message names the call and errno, with .code = "E..." like Node's.
static napi_value throw_errno(napi_env env, const char *call, int error) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", call, strerror(error));
  const char *code = error == EPERM ? "EPERM" : error == EACCES ? "EACCES" : error == EBUSY ? "EBUSY"
                   : error == ENOENT ? "ENOENT" : error == EINVAL ? "EINVAL" : error == EBADF ? "EBADF" : "EIO";
  napi_throw_error(env, code, message);
  return NULL;
}

#define CHECK_NAPI(call) do { if ((call) != napi_ok) { napi_throw_error(env, "EINVAL", #call " failed"); return NULL; } } while (0)

// tunOpen(name: string, multiQueue: boolean) -> { fd: number, name: string }
// Opens (creating if needed) a TUN device without packet information, non-blocking.
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) { napi_throw_type_error(env, "EINVAL", "tunOpen(name, multiQueue) takes two arguments"); return NULL; }

  char name[IFNAMSIZ];
  size_t name_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "tunOpen: name must be a string");
    return NULL;
  }
  if (name_length >= IFNAMSIZ - 1) { napi_throw_range_error(env, "EINVAL", "tunOpen: name longer than 15 bytes"); return NULL; }
  bool multi_queue = false;
  CHECK_NAPI(napi_get_value_bool(env, argv[1], &multi_queue));

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun", errno);
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_flags = IFF_TUN | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0);
  memcpy(request.ifr_name, name, name_length);
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETIFF", error);
  }

  napi_value result, fd_value, name_value;
  CHECK_NAPI(napi_create_object(env, &result));
  CHECK_NAPI(napi_create_int32(env, fd, &fd_value));
  CHECK_NAPI(napi_create_string_utf8(env, request.ifr_name, NAPI_AUTO_LENGTH, &name_value));
  CHECK_NAPI(napi_set_named_property(env, result, "fd", fd_value));
  CHECK_NAPI(napi_set_named_property(env, result, "name", name_value));
  return result;
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
