<?php
// Loads the peer's database (tests/bench/run.sh): php load.php DB SECRETS N
// adds the SHA-256 of each secret in the file SECRETS (one a line), then
// random hashes until N rows were added, in one transaction.
[, $path, $secrets, $n] = $argv;
$db = new PDO('sqlite:' . $path, null, null,
    [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$db->exec('CREATE TABLE IF NOT EXISTS tokens (hash BLOB PRIMARY KEY, ' .
    'id TEXT NOT NULL, scope TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID');
$db->beginTransaction();
$ins = $db->prepare('INSERT INTO tokens VALUES (?, ?, ?, ?)');
$added = 0;
foreach (file($secrets, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $s) {
	$ins->execute([hash('sha256', $s, true), bin2hex(random_bytes(16)), 'bench:read', time()]);
	$added++;
}
for (; $added < (int)$n; $added++)
	$ins->execute([random_bytes(32), bin2hex(random_bytes(16)), 'bench:read', time()]);
$db->commit();
