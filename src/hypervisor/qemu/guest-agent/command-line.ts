/**
 * The guest agent channel on the QEMU command line: a unix socket chardev QEMU serves (one client
 * at a time, `wait=off` so QEMU never waits for one) bound to a virtio-serial port named
 * `org.qemu.guest_agent.0`, the name qemu-ga looks for (Linux: /dev/virtio-ports/<name>; Windows:
 * the virtio-win serial driver). It sits on the same virtio-serial bus as the ready port.
 * @module
 */

export const GUEST_AGENT_PORT_NAME = 'org.qemu.guest_agent.0';
export const GUEST_AGENT_PORT_ID = 'qgaport';

export function guestAgentArgs(socketPath: string): string[] {
  return [
    '-chardev', `socket,id=qga0,path=${socketPath.replaceAll(',', ',,')},server=on,wait=off`,
    '-device', `virtserialport,chardev=qga0,name=${GUEST_AGENT_PORT_NAME},id=${GUEST_AGENT_PORT_ID}`,
  ];
}
