#!/bin/sh
# systemd as PID 1 of a private PID + mount namespace, for checking deploy/*.service and
# *.timer on a machine whose init is not systemd (the VM Tunesmith is built on is a Firecracker
# VM whose PID 1 is `process_api`). This is how the README's "Deploying" commands were run; it
# is not needed on a host that boots with systemd.
#
#   (setsid nohup deploy/systemd-namespace.sh > /tmp/systemd-namespace.log 2>&1 &)
#   PID=$(pgrep -f "^/lib/systemd/systemd --system")
#   nsenter -t $PID -a systemctl start systemd-journald      # for journalctl
#   nsenter -t $PID -a systemctl status tunesmith             # any systemctl / journalctl
#   kill $PID                                                 # ends the namespace
#
# Only /proc and /run are the namespace's own: /etc, /opt, /var, /tmp and the network are the
# host's, so everything booted here would act on the host. Hence the masks (in the private
# /run/systemd/system): never unmask or start tmpfiles (it would clean the shared /tmp),
# networking, udev or getty units. The units are reached through systemd's private socket;
# D-Bus is masked, so `systemd-run` does not work: write unit files. Every unit enabled in
# multi-user.target.wants or timers.target.wants when it boots is masked as well, tunesmith's
# included: boot it with them disabled. The default target is an empty ns.target, so an
# enabled unit is loaded only while it runs or something refers to it, and systemd forgets a
# stopped unit's exit status; `systemctl --runtime add-wants ns.target tunesmith.service`
# (in the private /run) keeps it, as multi-user.target does on a normal host. The `ls` below
# prints each directory's name too; the `ln` errors these give are harmless.
exec unshare --pid --fork --mount --uts --ipc --propagation private sh -c '
  mount -t proc proc /proc
  mount -t tmpfs tmpfs /run
  mkdir -p /run/lock /run/systemd/system
  for u in $(ls /lib/systemd/system/sysinit.target.wants/ /etc/systemd/system/sysinit.target.wants/ \
      /etc/systemd/system/multi-user.target.wants/ /lib/systemd/system/multi-user.target.wants/ \
      /etc/systemd/system/timers.target.wants/ | grep "\.") \
      systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service systemd-tmpfiles-setup.service \
      systemd-tmpfiles-setup-dev.service tmp.mount networking.service systemd-networkd.service \
      systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
      systemd-remount-fs.service systemd-fsck-root.service ifupdown-pre.service \
      cron.service ssh.service redis-server.service postgresql.service getty.target \
      console-getty.service systemd-logind.service dbus.service dbus.socket swap.target; do
    case "$u" in systemd-journald.service) continue;; esac
    ln -sf /dev/null /run/systemd/system/$u
  done
  printf "[Unit]\nDescription=Namespace default target\n" > /run/systemd/system/ns.target
  export container=unshare
  exec /lib/systemd/systemd --system --unit=ns.target --log-target=console --show-status=no
'
