package dev.usher.sandbox.network;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pod network inside the sandbox's network namespace, where the node agent runs: each pod gets a
 * network namespace of its own, joined to the node's by a veth pair, with an address from the pod
 * CIDR; the node's namespace routes between pods and holds every Service cluster IP as a local
 * address (a route of the whole service CIDR on lo), where the kube-proxy stand-in listens.
 * None of these addresses exists outside the sandbox's namespace.
 */
public final class PodNetwork {

    private final String podCidr;
    private final String serviceCidr;
    private final String gateway;
    /** Addresses are never reused: a new pod never inherits an old one's connections. */
    private final AtomicInteger next = new AtomicInteger(1);

    public PodNetwork(String podCidr, String serviceCidr) {
        this.podCidr = podCidr;
        this.serviceCidr = serviceCidr;
        this.gateway = address(podCidr, 1);
    }

    /** Once, in the node's namespace: loopback up, the service CIDR local, forwarding between pods. */
    public void setUpNode() throws IOException {
        Shell.script("""
                ip link set lo up
                ip route add local %s dev lo table local
                ip addr add %s/32 dev lo
                echo 1 > /proc/sys/net/ipv4/ip_forward
                """.formatted(serviceCidr, gateway));
    }

    /** The next pod address. */
    public String allocate() {
        return address(podCidr, next.incrementAndGet());
    }

    /**
     * Joins the network namespace of process pid (the pod's holder) to the node's: a veth pair, the
     * pod's address on its eth0, a default route through the node, a /32 route back on the node side.
     */
    public void attach(long pid, String ip, String hostname) throws IOException {
        String veth = "veth" + ip.substring(ip.indexOf('.', ip.indexOf('.') + 1) + 1).replace('.', 'x');
        Shell.script("""
                ip link add %1$s type veth peer name eth0 netns %2$d
                ip link set %1$s up
                ip route add %3$s/32 dev %1$s
                nsenter -t %2$d -n -u sh -euc 'ip link set lo up; ip addr add %3$s/32 dev eth0; ip link set eth0 up; \
                ip route add default via %4$s dev eth0 onlink; hostname %5$s'
                """.formatted(veth, pid, ip, gateway, hostname));
    }

    /** The address that is the n-th of an IPv4 CIDR. */
    public static String address(String cidr, int n) {
        try {
            byte[] a = InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))).getAddress();
            int value = ((a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff)) + n;
            return InetAddress.getByAddress(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16),
                    (byte) (value >>> 8), (byte) value}).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(cidr, e);
        }
    }
}
