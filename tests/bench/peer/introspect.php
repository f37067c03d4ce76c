<?php
// The peer of row c (tests/bench/run.sh): the same introspection as a
// shared-hosting user would write it, in PHP under PHP-FPM: PDO SQLite,
// one indexed lookup of the SHA-256 of the token.  The pool's
// environment names the database (KEYHOLE_BENCH_PEER_DB).
$token = $_POST['token'] ?? '';
$db = new PDO('sqlite:' . getenv('KEYHOLE_BENCH_PEER_DB'), null, null,
    [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$q = $db->prepare('SELECT id, scope, created FROM tokens WHERE hash = ?');
$q->execute([hash('sha256', $token, true)]);
$row = $q->fetch(PDO::FETCH_ASSOC);
header('Content-Type: application/json');
header('Cache-Control: no-store');
if ($row === false) {
	echo '{"active":false}';
} else {
	echo json_encode(['active' => true, 'jti' => $row['id'],
	    'scope' => $row['scope'], 'iat' => (int)$row['created'],
	    'token_type' => 'Bearer']);
}
