# A JSON Schema subset, enough for the seeds' contracts: type (one or a
# list), required, properties, additionalProperties: false, items, enum,
# minLength, maxLength, minimum, maximum, format (date-time, uuid), and
# $ref to "#/definitions/NAME".  errors($root; $s; $path) lists what the
# input breaks; an empty list is a pass.
def _type_ok($t):
	if $t == "integer" then type == "number" and . == floor
	elif $t == "null" then . == null
	else type == $t end;

def errors($root; $s; $path):
	if ($s | has("$ref")) then
		errors($root; $root.definitions[$s["$ref"] | sub("^#/definitions/"; "")]; $path)
	else
	. as $v
	| [
		(if $s.type == null then empty
		 elif ([$s.type] | flatten | any(. as $t | $v | _type_ok($t))) then empty
		 else "\($path): is \($v | type), not \($s.type)" end),
		(if $s.enum != null and ($s.enum | index([$v]) == null) then
			"\($path): \($v | tojson) is not one of \($s.enum | tojson)" else empty end),
		(if ($v | type) == "string" then
			(if $s.minLength != null and ($v | length) < $s.minLength then "\($path): shorter than \($s.minLength)" else empty end),
			(if $s.maxLength != null and ($v | length) > $s.maxLength then "\($path): longer than \($s.maxLength)" else empty end),
			(if $s.format == "date-time" and ($v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$") | not) then "\($path): not a date-time" else empty end),
			(if $s.format == "uuid" and ($v | test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$") | not) then "\($path): not a uuid" else empty end),
			(if $s.pattern != null and ($v | test($s.pattern) | not) then "\($path): does not match \($s.pattern)" else empty end)
		 else empty end),
		(if ($v | type) == "number" then
			(if $s.minimum != null and $v < $s.minimum then "\($path): below \($s.minimum)" else empty end),
			(if $s.maximum != null and $v > $s.maximum then "\($path): above \($s.maximum)" else empty end)
		 else empty end),
		(if ($v | type) == "object" then
			(($s.required // [])[] | select(. as $k | $v | has($k) | not) | "\($path).\(.): missing"),
			(($s.properties // {}) | to_entries[] | select(.key as $k | $v | has($k))
				| .key as $k | .value as $ps | $v[$k] | errors($root; $ps; "\($path).\($k)")[]),
			(if $s.additionalProperties == false then
				($v | keys[] | select(. as $k | ($s.properties // {}) | has($k) | not) | "\($path).\(.): not in the contract")
			 else empty end)
		 else empty end),
		(if ($v | type) == "array" and $s.items != null then
			($v | to_entries[] | .key as $i | .value | errors($root; $s.items; "\($path)[\($i)]")[])
		 else empty end)
	]
	end;

# check(NAME): the input against definitions.NAME of the contract read as $c.
def check($name): errors($c[0]; $c[0].definitions[$name]; "$");
