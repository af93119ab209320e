// A minimal container runtime's network setup, through the CNI project's own libcni (the library
// containerd, CRI-O and Podman call), for podnet's tests: nobody here wrote the client side.
//
//	runner add|check|del CONFLIST CONTAINER_ID NETNS IFNAME CNI_PATH CACHE_DIR [CAPABILITY_ARGS_JSON]
//
// add prints the final result JSON; every failure prints libcni's error and exits 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

func main() {
	if len(os.Args) < 8 {
		fmt.Fprintln(os.Stderr, "usage: runner add|check|del CONFLIST CONTAINER_ID NETNS IFNAME CNI_PATH CACHE_DIR [CAPABILITY_ARGS_JSON]")
		os.Exit(2)
	}
	command, conflist, containerID, netns, ifName, paths, cacheDir := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7]
	list, err := libcni.ConfListFromFile(conflist)
	if err != nil {
		fail(err)
	}
	runtime := &libcni.RuntimeConf{ContainerID: containerID, NetNS: netns, IfName: ifName, CacheDir: cacheDir}
	if len(os.Args) > 8 {
		if err := json.Unmarshal([]byte(os.Args[8]), &runtime.CapabilityArgs); err != nil {
			fail(err)
		}
	}
	cni := libcni.NewCNIConfigWithCacheDir(strings.Split(paths, ":"), cacheDir, nil)
	ctx := context.Background()
	switch command {
	case "add":
		result, err := cni.AddNetworkList(ctx, list, runtime)
		if err != nil {
			fail(err)
		}
		if err := result.Print(); err != nil {
			fail(err)
		}
	case "check":
		if err := cni.CheckNetworkList(ctx, list, runtime); err != nil {
			fail(err)
		}
	case "del":
		if err := cni.DelNetworkList(ctx, list, runtime); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %q", command))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stdout, err.Error())
	os.Exit(1)
}
