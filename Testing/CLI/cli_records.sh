#!/usr/bin/env bash
# `annotrace vault|user|record|audit` end to end on real label maps:
#   - a TotalSegmentator map (41 labels) saved as a record, decrypted by us into NIfTI and, with
#     no shared code, by Testing/Python/open_vault_record.py (scrypt, X25519 stanza, Ed25519,
#     AES-GCM STREAM, payload runs) and compared voxel for voxel with the original by nibabel;
#   - a dcmqi liver map on its DICOM CT: the record's source identity is checked against
#     pydicom's UIDs, and audit show --case STUDY lists the record's whole life;
#   - the review workflow and its refusals, a wrong passphrase audited by the next unlock;
#   - tampering in copies of the vault (deleted record, edited log line, flipped record byte,
#     dropped log tail), each failing `audit verify` with exit 3 and its reason.
# Usage: cli_records.sh ANNOTRACE PYTHON DATA_DIR
set -u
annotrace=$1 python=$2 data=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/expect.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for who in ada ann rex; do echo "$who passphrase, long enough" >"$who.pw"; done
echo "not it" >wrong.pw
v=$work/vault
ct_nii=$data/nifti_totalseg/example_ct_sm.nii.gz
seg_nii=$data/nifti_totalseg/example_seg.nii.gz
dcm=$data/seg_dcmqi/data/segmentations/ct-3slice
liver=$data/seg_dcmqi/data/segmentations/liver_seg.nrrd
for f in "$ct_nii" "$seg_nii" "$dcm" "$liver"; do
  [[ -e $f ]] || { echo "FAIL missing data: $f"; exit 1; }
done

expect "vault init" 0 "vault created" -- "$annotrace" vault init "$v" --admin ada --new-passphrase-file ada.pw
expect "init refuses a used folder" 1 "not empty" -- "$annotrace" vault init "$v" --admin x --new-passphrase-file ada.pw
expect "add annotator" 0 "added ann as annotator" -- "$annotrace" user add "$v" --as ada --passphrase-file ada.pw --id ann --role annotator --new-passphrase-file ann.pw
expect "add reviewer" 0 "added rex as reviewer" -- "$annotrace" user add "$v" --as ada --passphrase-file ada.pw --id rex --role reviewer --new-passphrase-file rex.pw
expect "annotator cannot add members" 1 "only an admin" -- "$annotrace" user add "$v" --as ann --passphrase-file ann.pw --id eve --role admin --new-passphrase-file ann.pw
expect "no passphrase, no terminal" 2 "no passphrase: give --passphrase-file" -- env -u ANNOTRACE_PASSPHRASE setsid "$annotrace" record submit "$v" 00000000 --as ann </dev/null
expect "passphrase never on the command line" 2 "unknown option '--passphrase'" -- "$annotrace" record save "$v" --as ann --passphrase x --labels "$seg_nii"

# A 41-label TotalSegmentator map on its CT.
out=$("$annotrace" record save "$v" --as ann --passphrase-file ann.pw --labels "$seg_nii" --volume "$ct_nii" --json 2>&1)
check "save the TotalSegmentator map" $? "$out"
big=$("$python" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$out")
expect "list shows a draft" 0 "${big:0:16} .* ann  draft" -- "$annotrace" record list "$v"
expect "show the header without keys" 0 "\"geometry_sha256\"" -- "$annotrace" record show "$v" "${big:0:12}"
expect "wrong passphrase" 1 "wrong passphrase for member rex" -- "$annotrace" record open "$v" "$big" --as rex --passphrase-file wrong.pw --out x.nii.gz
[[ ! -e x.nii.gz ]]; check "wrong passphrase writes nothing" $? "x.nii.gz exists"
expect "reviewer decrypts" 0 "decrypted record $big \\(41 segments\\)" -- "$annotrace" record open "$v" "${big:0:10}" --as rex --passphrase-file rex.pw --out opened.nii.gz --volume "$ct_nii"
expect "the wrong passphrase was audited by the next unlock" 0 "unlock-failed  rex" -- "$annotrace" audit show "$v" --action unlock-failed
out=$("$python" - "$seg_nii" opened.nii.gz <<'PY' 2>&1
import sys, nibabel as nib, numpy as np
a = np.asanyarray(nib.load(sys.argv[1]).dataobj).astype(np.int32)
b = np.asanyarray(nib.load(sys.argv[2]).dataobj).astype(np.int32)
assert a.shape == b.shape, (a.shape, b.shape)
assert np.array_equal(a, b), int(np.count_nonzero(a != b))
assert np.allclose(nib.load(sys.argv[1]).affine, nib.load(sys.argv[2]).affine, atol=1e-4)
print("labels", len(np.unique(a)) - 1, "voxels", int(np.count_nonzero(a)))
PY
)
check "nibabel: decrypted labels equal the original voxel for voxel" $? "$out"
echo "     $out"
out=$("$python" "$here/../Python/open_vault_record.py" "$v" "$big" --member rex --passphrase-file rex.pw --out py.nii.gz --reference "$seg_nii" 2>&1)
check "independent Python reader decrypts and decodes the record" $? "$out"
echo "     $out"
expect "a record from another grid is refused" 1 "differs: the record was made on another series or grid" -- "$annotrace" record open "$v" "$big" --as rex --passphrase-file rex.pw --out y.nii.gz --volume "$data/nifti_totalseg/example_mr_sm.nii.gz"

# A liver map on its DICOM CT: the identity comes from the DICOM headers.
out=$("$annotrace" record save "$v" --as ann --passphrase-file ann.pw --labels "$liver" --volume "$dcm" --json 2>/dev/null)
check "save the liver map on DICOM" $? "$out"
liv=$("$python" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$out")
"$annotrace" record show "$v" "$liv" >liver-header.json
out=$("$python" - "$dcm" liver-header.json <<'PY' 2>&1
import sys, os, glob, json, hashlib, numpy as np, pydicom
files = [pydicom.dcmread(f) for f in glob.glob(os.path.join(sys.argv[1], "*.dcm"))]
src = json.load(open(sys.argv[2]))["source"]
normal = np.cross(*np.array(files[0].ImageOrientationPatient, float).reshape(2, 3))
files.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
assert src["study_uid"] == files[0].StudyInstanceUID, src["study_uid"]
assert src["series_uid"] == files[0].SeriesInstanceUID
assert src["frame_of_reference_uid"] == files[0].FrameOfReferenceUID
assert src["sop_instances"] == str(len(files))
digest = hashlib.sha256("".join(d.SOPInstanceUID + "\n" for d in files).encode()).hexdigest()
assert src["sop_instances_sha256"] == digest, "SOP digest differs"
print(files[0].StudyInstanceUID)
PY
)
check "pydicom: the record names the series it labels" $? "$out"
study=$out
expect "annotator cannot approve" 1 "only a reviewer or an admin" -- "$annotrace" record review "$v" "$liv" --as ann --passphrase-file ann.pw --approve --reason "mine"
expect "reviewing a draft is refused" 1 "its author must submit it first" -- "$annotrace" record review "$v" "$liv" --as rex --passphrase-file rex.pw --approve --reason "ok"
expect "only the author submits" 1 "only the author" -- "$annotrace" record submit "$v" "$liv" --as rex --passphrase-file rex.pw
expect "author submits" 0 "submitted record $liv" -- "$annotrace" record submit "$v" "$liv" --as ann --passphrase-file ann.pw
expect "a decision needs a reason" 2 "missing --reason" -- "$annotrace" record review "$v" "$liv" --as rex --passphrase-file rex.pw --approve
expect "reviewer approves" 0 "review-approved: record $liv by rex" -- "$annotrace" record review "$v" "$liv" --as rex --passphrase-file rex.pw --approve --reason "liver complete, checked on all slices"
expect "a second version derives from the first" 0 "saved record" -- "$annotrace" record save "$v" --as ann --passphrase-file ann.pw --labels "$liver" --volume "$dcm" --parents "${liv:0:12}" --submit
expect "list shows the decision" 0 "approved by rex: liver complete" -- "$annotrace" record list "$v"
out=$("$annotrace" audit show "$v" --case "$study" 2>&1)
for action in record-created review-refused record-submitted review-approved; do
  grep -q "$action  $liv" <<<"$out"; check "audit show --case lists $action" $? "$out"
done
expect "audit show --user" 0 "unlock-ok" -- "$annotrace" audit show "$v" --user rex --action unlock-ok
expect "vault status" 0 "records: 3, 1 approved, 1 draft, 1 submitted" -- "$annotrace" vault status "$v"
expect "audit verify" 0 "vault OK" -- "$annotrace" audit verify "$v" --as ada --passphrase-file ada.pw
expect "the verification run is audited" 0 "verification-run .*ok: " -- "$annotrace" audit show "$v" --action verification-run

# Removing a member.
expect "remove ann" 0 "removed ann" -- "$annotrace" user remove "$v" --as ada --passphrase-file ada.pw --id ann
expect "a removed member cannot unlock" 1 "was removed from this vault" -- "$annotrace" record open "$v" "$big" --as ann --passphrase-file ann.pw --out z.nii.gz
expect "their records still verify" 0 "3 records verified" -- "$annotrace" audit verify "$v"

# Tampering, each in a fresh copy.
tamper() {  # NAME REASON_REGEX COMMAND...
  local name=$1 regex=$2
  shift 2
  rm -rf t && cp -a "$v" t
  (cd t && eval "$*")
  expect "tamper: $name" 3 "$regex" -- "$annotrace" audit verify t
}
tamper "deleted record" "RecordMissing: audit.log entry [0-9]+: created record $liv" rm "records/$liv.atrec"
tamper "edited log line" "HashMismatch: audit.log line 2" "sed -i '2s/\"unlock-ok\"/\"unlock-ok \"/' audit.log"
tamper "flipped record byte" "CiphertextDigestMismatch" "printf '\\x00' | dd of=records/$big.atrec bs=1 seek=2000 conv=notrunc status=none"
tamper "dropped log tail" "RecordNotInLog|RecordMissing" "head -n 12 audit.log > a && mv a audit.log"
tamper "a record copied in under another name" "IdMismatch" "cp records/$liv.atrec records/${big}.atrec"
finish
