//! Zip archives, read with the `zip` crate.
//!
//! Members are listed (up to `limits.max_archive_members`), junk ignored.
//! Shapefile sets are read as layers. Otherwise one data member is chosen,
//! extracted to a temporary file within the decompression limits, and
//! profiled like any file. Member names never touch the filesystem: every
//! extraction goes to a fresh `NamedTempFile`.
//!
//! With several layers, the top level describes one of them by a fixed
//! rule: the most fields, then the most records, then the name that sorts
//! first; every layer is summarised in `layers`.

use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

use dataprof_model::{ContainerInfo, LayerSummary, SourceProfile};
use tempfile::NamedTempFile;
use zip::ZipArchive;
use zip::result::ZipError;

use super::budget::Budget;
use super::in_member;
use super::members::{self, Member, Plan, ShapefileSet};
use crate::formats::shapefile::{self, LayerFiles, LayerProfile};
use crate::{ProfileError, ProfileOptions, SNIFF_LEN};

type Archive = ZipArchive<BufReader<File>>;

/// `.prj` and `.cpg` files are a few hundred bytes; more is not one.
const MAX_SIDECAR_BYTES: u64 = 64 * 1024;
/// Members whose first bytes are sniffed when choosing the data member.
const MAX_SNIFFED: usize = 32;

pub(crate) fn profile(
    path: &Path,
    opts: &ProfileOptions,
    depth: u32,
) -> Result<SourceProfile, ProfileError> {
    let file = File::open(path).map_err(|e| ProfileError::io("read", e))?;
    let mut archive = ZipArchive::new(BufReader::new(file)).map_err(|e| {
        ProfileError::malformed(
            "zip",
            format!("not a readable zip archive (truncated or corrupt?): {e}"),
        )
    })?;
    if archive.len() > opts.limits.max_archive_members {
        return Err(ProfileError::limit(
            "zip",
            format!(
                "the archive lists {} members, more than {}",
                archive.len(),
                opts.limits.max_archive_members
            ),
        ));
    }
    let listed = list(&archive)?;
    if let Some(kind) = office_document(&listed) {
        return Err(ProfileError::unsupported(kind.detected, kind.reason));
    }
    let plan = members::plan(listed);
    tracing::debug!(
        layers = plan.layers.len(),
        others = plan.others.len(),
        incomplete = plan.incomplete.len(),
        "zip listed"
    );
    let mut budget = Budget::new("zip", &opts.limits);
    if !plan.layers.is_empty() {
        return profile_layers(&mut archive, plan, opts, &mut budget);
    }
    if plan.others.is_empty() {
        return Err(match plan.incomplete.into_iter().next() {
            Some(why) => ProfileError::malformed("shapefile", why),
            None => ProfileError::unsupported(
                "zip",
                "the zip archive holds no file (only folders or system files)",
            ),
        });
    }
    profile_member(&mut archive, plan, opts, depth, &mut budget)
}

/// An office document: zip containers whose layout gives them away.
struct OfficeDocument {
    detected: &'static str,
    reason: &'static str,
}

/// Spreadsheets and documents are zips too; say what they are rather than
/// profiling one of their XML parts.
fn office_document(members: &[Member]) -> Option<OfficeDocument> {
    let has = |name: &str| members.iter().any(|m| m.name.eq_ignore_ascii_case(name));
    if has("xl/workbook.xml") {
        Some(OfficeDocument {
            detected: "xlsx",
            reason: "the file is an Excel workbook (.xlsx), not a supported data format: publish a CSV export",
        })
    } else if has("content.xml") && has("mimetype") {
        Some(OfficeDocument {
            detected: "opendocument",
            reason: "the file is an OpenDocument file (.ods/.odt), not a supported data format: publish a CSV export",
        })
    } else if has("word/document.xml") {
        Some(OfficeDocument {
            detected: "docx",
            reason: "the file is a Word document (.docx), not a data file",
        })
    } else {
        None
    }
}

/// The files of the archive, without directories.
fn list(archive: &Archive) -> Result<Vec<Member>, ProfileError> {
    let mut out = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|e| ProfileError::malformed("zip", format!("member {index}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        out.push(Member {
            index,
            name,
            size: entry.size(),
            compressed: entry.compressed_size(),
            encrypted: entry.encrypted(),
        });
    }
    Ok(out)
}

fn encrypted(member: &Member) -> ProfileError {
    ProfileError::Unsupported {
        step: "zip",
        detected: "zip".to_owned(),
        reason: format!("member {} is encrypted", member.name),
    }
}

fn zip_error(member: &Member, e: ZipError) -> ProfileError {
    match e {
        ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_) => {
            ProfileError::Unsupported {
                step: "zip",
                detected: "zip".to_owned(),
                reason: format!("member {} cannot be read: {e}", member.name),
            }
        }
        other => ProfileError::malformed(
            "zip",
            format!("member {} is corrupt or truncated: {other}", member.name),
        ),
    }
}

/// Decompresses a member into a new temporary file.
fn extract(
    archive: &mut Archive,
    member: &Member,
    budget: &mut Budget,
) -> Result<NamedTempFile, ProfileError> {
    if member.encrypted {
        return Err(encrypted(member));
    }
    let mut reader = archive
        .by_index(member.index)
        .map_err(|e| zip_error(member, e))?;
    let mut tmp = NamedTempFile::new().map_err(|e| ProfileError::io("archive", e))?;
    budget.copy(
        &format!("member {}", member.name),
        member.compressed,
        &mut reader,
        &mut tmp,
    )?;
    tmp.flush().map_err(|e| ProfileError::io("archive", e))?;
    tmp.rewind().map_err(|e| ProfileError::io("archive", e))?;
    Ok(tmp)
}

/// Reads a small member (`.prj`, `.cpg`) as text.
fn read_small(
    archive: &mut Archive,
    member: &Member,
    warnings: &mut Vec<String>,
) -> Result<Option<String>, ProfileError> {
    if member.encrypted {
        return Err(encrypted(member));
    }
    let reader = archive
        .by_index(member.index)
        .map_err(|e| zip_error(member, e))?;
    let mut bytes = Vec::new();
    reader
        .take(MAX_SIDECAR_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            ProfileError::malformed(
                "zip",
                format!("member {} is corrupt or truncated: {e}", member.name),
            )
        })?;
    if bytes.len() as u64 > MAX_SIDECAR_BYTES {
        warnings.push(format!(
            "{} is larger than {MAX_SIDECAR_BYTES} bytes and was ignored",
            member.name
        ));
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Profiles one data member through [`crate::profile_nested`].
fn profile_member(
    archive: &mut Archive,
    plan: Plan,
    opts: &ProfileOptions,
    depth: u32,
    budget: &mut Budget,
) -> Result<SourceProfile, ProfileError> {
    let mut warnings = plan.incomplete.clone();
    let chosen = if plan.others.len() == 1 {
        plan.others[0].clone()
    } else {
        let verdicts = sniff_members(archive, &plan.others)?;
        let Some(chosen) = members::choose(&plan.others, &verdicts).cloned() else {
            return Err(ProfileError::unsupported(
                "zip",
                "the zip archive holds no file",
            ));
        };
        let others: Vec<&str> = plan
            .others
            .iter()
            .filter(|m| m.index != chosen.index)
            .take(5)
            .map(|m| m.name.as_str())
            .collect();
        warnings.push(format!(
            "the zip holds {} files; profiled {} (others: {}{})",
            plan.others.len(),
            chosen.name,
            others.join(", "),
            if plan.others.len() > 6 { ", ..." } else { "" }
        ));
        chosen
    };
    tracing::info!(member = %chosen.name, size = chosen.size, "zip member chosen");
    let tmp = extract(archive, &chosen, budget)?;
    let mut profile = crate::profile_nested(tmp.path(), opts, depth + 1)
        .map_err(|e| in_member(e, "zip", &chosen.name))?;
    if let Some(inner) = profile.container.take() {
        warnings.push(format!(
            "{} is itself a {} archive; profiled its member {}",
            chosen.name,
            inner.kind,
            inner.member.as_deref().unwrap_or("(unnamed)")
        ));
    }
    profile.container = Some(ContainerInfo {
        kind: "zip".to_owned(),
        member: Some(chosen.name),
    });
    profile.warnings.extend(warnings);
    Ok(profile)
}

/// Whether each member's first bytes look like data (text, JSON or an
/// archive). Only the largest [`MAX_SNIFFED`] are looked at.
fn sniff_members(archive: &mut Archive, candidates: &[Member]) -> Result<Vec<bool>, ProfileError> {
    let mut by_size: Vec<usize> = (0..candidates.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(candidates[i].size));
    let mut verdicts = vec![false; candidates.len()];
    for &i in by_size.iter().take(MAX_SNIFFED) {
        let m = &candidates[i];
        if m.encrypted {
            continue;
        }
        let Ok(reader) = archive.by_index(m.index) else {
            continue;
        };
        let mut head = Vec::new();
        if reader
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut head)
            .is_err()
        {
            continue;
        }
        verdicts[i] = !matches!(
            crate::sniff::sniff(&head),
            crate::sniff::Sniffed::NotData { .. }
        );
    }
    Ok(verdicts)
}

/// Profiles every Shapefile layer; the top level describes one of them.
fn profile_layers(
    archive: &mut Archive,
    plan: Plan,
    opts: &ProfileOptions,
    budget: &mut Budget,
) -> Result<SourceProfile, ProfileError> {
    let mut warnings = plan.incomplete.clone();
    if let Some(first) = plan.others.first() {
        let count = plan.others.len();
        warnings.push(if count == 1 {
            format!(
                "1 other file beside the Shapefile layers was not read: {}",
                first.name
            )
        } else {
            format!(
                "{count} other files beside the Shapefile layers were not read: {}, …",
                first.name
            )
        });
    }
    let mut layers: Vec<(LayerProfile, String)> = Vec::new();
    let mut first_error = None;
    for set in &plan.layers {
        match profile_set(archive, set, opts, budget) {
            Ok(layer) => {
                let shp = set.shp.as_ref().map(|m| m.name.clone()).unwrap_or_default();
                layers.push((layer, shp));
            }
            // Limits protect the whole worker: they end the source.
            Err(e) if is_limit(&e) => return Err(e),
            Err(e) => {
                warnings.push(format!("layer {} could not be read: {e}", set.name));
                first_error.get_or_insert(e);
            }
        }
    }
    if layers.is_empty() {
        return Err(first_error
            .unwrap_or_else(|| ProfileError::malformed("shapefile", "no layer could be read")));
    }
    let primary = primary_layer(&layers);
    let multi = layers.len() > 1;
    let summaries: Vec<LayerSummary> = if multi {
        layers
            .iter()
            .map(|(l, _)| LayerSummary {
                name: l.name.clone(),
                encoding: Some(l.encoding.clone()),
                record_count: l.record_count,
                field_count: l.fields.len(),
                fields: l.fields.clone(),
                geometry: Some(l.geometry.clone()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let (layer, shp_name) = layers.swap_remove(primary);
    if multi {
        warnings.push(format!(
            "the zip holds {} Shapefile layers; the fields describe {} (most fields, then most records, then name)",
            summaries.len(),
            layer.name
        ));
    }
    let mut all_warnings = layer.warnings;
    all_warnings.extend(warnings);
    Ok(SourceProfile {
        detected_format: "shapefile".to_owned(),
        container: Some(ContainerInfo {
            kind: "zip".to_owned(),
            member: Some(shp_name),
        }),
        encoding: Some(layer.encoding),
        dialect: None,
        record_count: layer.record_count,
        field_count: layer.fields.len(),
        fields: layer.fields,
        sample_records: layer.samples,
        geometry: Some(layer.geometry),
        layer: multi.then_some(layer.name),
        layers: summaries,
        warnings: all_warnings,
    })
}

fn is_limit(e: &ProfileError) -> bool {
    matches!(e, ProfileError::Failed { cause, .. } if cause.starts_with("limit exceeded"))
}

/// Index of the layer the top level describes: most fields, then most
/// records, then the name that sorts first.
fn primary_layer(layers: &[(LayerProfile, String)]) -> usize {
    let mut best = 0;
    for (i, (l, _)) in layers.iter().enumerate().skip(1) {
        let b = &layers[best].0;
        let better = (l.fields.len(), l.record_count)
            .cmp(&(b.fields.len(), b.record_count))
            .then_with(|| b.name.cmp(&l.name))
            .is_gt();
        if better {
            best = i;
        }
    }
    best
}

/// Extracts one set's members and profiles the layer.
fn profile_set(
    archive: &mut Archive,
    set: &ShapefileSet,
    opts: &ProfileOptions,
    budget: &mut Budget,
) -> Result<LayerProfile, ProfileError> {
    let (Some(shp), Some(dbf)) = (&set.shp, &set.dbf) else {
        return Err(ProfileError::malformed(
            "shapefile",
            format!("{} lacks its .shp or .dbf", set.name),
        ));
    };
    let shp_file = extract(archive, shp, budget)?;
    let dbf_file = extract(archive, dbf, budget)?;
    let mut warnings = Vec::new();
    let prj = match &set.prj {
        Some(m) => read_small(archive, m, &mut warnings)?,
        None => None,
    };
    let cpg = match &set.cpg {
        Some(m) => read_small(archive, m, &mut warnings)?,
        None => None,
    };
    let reopen = |t: &NamedTempFile| t.reopen().map_err(|e| ProfileError::io("archive", e));
    let mut layer = shapefile::profile_layer(
        LayerFiles {
            name: set.name.clone(),
            shp: reopen(&shp_file)?,
            dbf: reopen(&dbf_file)?,
            prj,
            cpg,
        },
        opts,
    )?;
    layer.warnings.extend(warnings);
    Ok(layer)
}
